namespace FedTrain.Rpc;

/// <summary>
/// Bounds on the health service, which is open to any caller (probes carry no credentials): what one request may
/// hold and how many <c>Watch</c> streams, each held until its client leaves, one connection or address may keep open.
/// </summary>
public sealed class HealthServiceOptions
{
    /// <summary>Longest service name accepted, in UTF-8 bytes (gRPC service names are far shorter).</summary>
    public const int MaxServiceNameBytes = 256;

    /// <summary>Largest request message: a service name of <see cref="MaxServiceNameBytes"/> plus its field prefix, with room to spare.</summary>
    public const int MaxRequestBytes = 512;

    /// <summary>Concurrent <c>Watch</c> streams one HTTP/2 connection may hold.</summary>
    public int MaxWatchesPerConnection { get; set; } = 4;

    /// <summary>Concurrent <c>Watch</c> streams all connections from one remote address may hold together.</summary>
    public int MaxWatchesPerAddress { get; set; } = 16;

    public void Validate()
    {
        if (MaxWatchesPerConnection <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWatchesPerConnection), MaxWatchesPerConnection, "Must be positive.");
        }

        if (MaxWatchesPerAddress <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWatchesPerAddress), MaxWatchesPerAddress, "Must be positive.");
        }
    }
}
