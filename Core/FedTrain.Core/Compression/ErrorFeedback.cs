using System.Numerics.Tensors;

namespace FedTrain.Core.Compression;

/// <summary>
/// Error feedback for compressed updates (Seide et al. 2014; Karimireddy et al. 2019): what quantisation drops from a
/// client's update is kept and added to that client's next update before it is quantised, so the errors do not
/// accumulate: over T rounds the decoded updates sum to the true deltas minus only the last round's residual,
/// at most half a quantum per parameter.
/// </summary>
/// <remarks>
/// One residual per client, in memory only: a restarted worker starts without them (it loses at most one quantum
/// per parameter per client, once). A residual is adopted only when its update was delivered (<see cref="Commit"/>):
/// an update that never arrived leaves the client's previous residual in place. Not thread-safe.
/// </remarks>
public sealed class ErrorFeedback
{
    private readonly Dictionary<string, float[]> _residuals = new(StringComparer.Ordinal);

    /// <summary>Clients holding a residual.</summary>
    public int ClientCount => _residuals.Count;

    /// <summary>
    /// Adds the client's residual to <paramref name="delta"/> (in place) and encodes the sum into
    /// <paramref name="destination"/>; the new residual goes to <paramref name="pendingResidual"/> until <see cref="Commit"/>.
    /// </summary>
    public void Encode(string clientId, Span<float> delta, UpdateEncoding encoding, Span<byte> destination, Span<float> pendingResidual)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (pendingResidual.Length != delta.Length)
        {
            throw new ArgumentException($"Pending residual has {pendingResidual.Length} elements, the update {delta.Length}.", nameof(pendingResidual));
        }

        // A residual of another model size (the run switched models) no longer means anything.
        if (_residuals.TryGetValue(clientId, out float[]? residual) && residual.Length == delta.Length)
        {
            TensorPrimitives.Add(delta, residual, delta);
        }

        UpdateEncoder.Encode(delta, encoding, destination, pendingResidual);
    }

    /// <summary>The client's update was delivered: its quantisation error is carried into the client's next update.</summary>
    public void Commit(string clientId, ReadOnlySpan<float> pendingResidual)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (!_residuals.TryGetValue(clientId, out float[]? residual) || residual.Length != pendingResidual.Length)
        {
            residual = new float[pendingResidual.Length];
            _residuals[clientId] = residual;
        }

        pendingResidual.CopyTo(residual);
    }

    /// <summary>The residual carried for <paramref name="clientId"/>; empty when it has none.</summary>
    public ReadOnlySpan<float> ResidualOf(string clientId) =>
        _residuals.TryGetValue(clientId, out float[]? residual) ? residual : [];

    /// <summary>Drops every residual (a new run starts from its own model).</summary>
    public void Clear() => _residuals.Clear();
}
