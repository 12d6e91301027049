namespace FedTrain.Coordinator.Security;

/// <summary>Worker and operator authentication. On unless <see cref="Enabled"/> is explicitly turned off.</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// False lets any caller act as any worker and opens the HTTP API: only for a trusted, isolated network.
    /// The coordinator logs a warning at start when it is off.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// File holding the operator token of the HTTP admin API. Null: <c>RUN_DIR/operator.token</c>, created
    /// (mode 0600) with a fresh random token when missing.
    /// </summary>
    public string? OperatorTokenFile { get; set; }

    /// <summary>Whether <c>/metrics</c> also requires the operator token (it carries no secrets, so it is open by default).</summary>
    public bool MetricsRequireToken { get; set; }

    public void Validate()
    {
        if (OperatorTokenFile is { Length: 0 })
        {
            throw new ArgumentException("Option Security.Auth.OperatorTokenFile must not be empty.", nameof(OperatorTokenFile));
        }
    }
}
