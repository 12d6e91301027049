namespace FedTrain.Coordinator;

/// <summary>The server strategy by name, with its parameters (see <see cref="Strategies.StrategyFactory"/>).</summary>
public sealed class StrategyOptions
{
    /// <summary>fedavg, fedavgm, fedadam, fedyogi, fedadagrad, qfedavg, median, trimmed-mean, krum, multi-krum, norm-bounding.</summary>
    public string Name { get; set; } = "fedavg";

    /// <summary>Strategy parameters by name, e.g. <c>beta</c> for trimmed-mean or <c>server_lr</c> for fedadam.</summary>
    public Dictionary<string, double> Parameters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Robust rules keep a round's updates in memory up to this many bytes, then spill to disk.</summary>
    public long SpoolMemoryBytes { get; set; } = 1L << 30;
}
