namespace FedTrain.Coordinator.Security;

/// <summary>Who may call the coordinator, over what transport, and how much each worker may ask of it.</summary>
public sealed class SecurityOptions
{
    public AuthOptions Auth { get; set; } = new();

    public TlsOptions Tls { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public void Validate()
    {
        Auth.Validate();
        Tls.Validate();
        Limits.Validate();
    }
}
