using FedTrain.Core.Data;
using FedTrain.Trainer;

namespace FedTrain.Worker;

/// <summary>How a worker finds its coordinator and its data. <see cref="Validate"/> names the first bad option.</summary>
public sealed class WorkerOptions
{
    /// <summary>The coordinator's gRPC address; the first of <see cref="Coordinators"/>.</summary>
    public Uri Coordinator
    {
        get => Coordinators[0];
        set => Coordinators = [value];
    }

    /// <summary>
    /// Every address the run's coordinator may answer at: one, or each node of a coordinator cluster (the worker
    /// uses the node that leads the run, and finds the next one after a failover).
    /// </summary>
    public IReadOnlyList<Uri> Coordinators { get; set; } = [new("http://127.0.0.1:50051")];

    /// <summary>Stable identity; defaults to host name and process id.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// This worker's data: a folder (IDX files, class folders of images, text files, an x.npy/y.npy pair) or a file
    /// (CSV, TSV, Parquet, safetensors); see <see cref="DataSource"/> for how it is read.
    /// </summary>
    public string DataDirectory { get; set; } = FashionMnist.DefaultDirectory;

    /// <summary>How <see cref="DataDirectory"/> is read: its format, a table's label and feature columns, the split.</summary>
    public Core.Data.Formats.DataSourceOptions DataSource { get; set; } = new();

    /// <summary>
    /// What the run's model takes (input shape, classes by name), checked against the data before the worker
    /// registers; <see cref="Core.Data.Formats.DataContract.None"/> checks the data on its own.
    /// </summary>
    public Core.Data.Formats.DataContract Contract { get; set; } = Core.Data.Formats.DataContract.None;

    /// <summary>Which shard of the data set this worker holds (0-based), when one data set simulates many owners.</summary>
    public int ShardIndex { get; set; }

    /// <summary>Number of shards the data set is split into; 1 keeps it whole.</summary>
    public int ShardCount { get; set; } = 1;

    public PartitionScheme Partition { get; set; } = PartitionScheme.Iid;

    /// <summary>
    /// Simulated clients over all workers; null when this worker is a single data owner. With M clients over N
    /// workers, worker I trains for clients I, I+N, ...; each client holds shard j of M.
    /// </summary>
    public int? Population { get; set; }

    /// <summary>Seeds the partition; every worker of a federation must use the same one.</summary>
    public ulong PartitionSeed { get; set; } = 42;

    /// <summary>
    /// Null for image data (IDX files). For a language model: the folder is a text corpus (one file per category)
    /// read as windows of this many bytes, the model's context length plus one.
    /// </summary>
    public int? TextWindow { get; set; }

    /// <summary>Use only the first N training images before partitioning (small test runs).</summary>
    public int? TrainLimit { get; set; }

    /// <summary>Fraction of the shard held out for local evaluation.</summary>
    public double HoldoutFraction { get; set; } = 0.1;

    public string Device { get; set; } = "cpu";

    /// <summary>
    /// Poisons every update this worker sends (sign-flip, scale:K, gaussian, same-value): the attack harness for
    /// testing robust aggregation. Null for an honest worker.
    /// </summary>
    public Core.Robust.ByzantineAttack? Attack { get; set; }

    /// <summary>
    /// Record-level differential privacy: train every client with DP-SGD (per-example clipping and noise in the
    /// native trainer) and account for it per client. Null trains normally.
    /// </summary>
    public DpSgdOptions? DpSgd { get; set; }

    /// <summary>Where the worker keeps state that must outlive it (the record-level privacy ledger); null for none.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>δ of the record-level (ε, δ) the worker reports.</summary>
    public double DpSgdDelta { get; set; } = 1e-5;

    /// <summary>libtorch threads; 0 for all cores.</summary>
    public int Threads { get; set; }

    /// <summary>Give up after this long without reaching the coordinator.</summary>
    public TimeSpan ReconnectTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public int ChunkBytes { get; set; } = 1 << 20;

    /// <summary>Benchmarks only: skip training and send a fixed delta, to measure orchestration alone.</summary>
    public bool FixedDeltaTraining { get; set; }

    /// <summary>
    /// SHA-256 (hex) of the TorchScript modules this worker's owner trusts. A TorchScript module is code that runs with
    /// the worker's rights (it can read the owner's files into the update), so a coordinator's module whose hash is not
    /// listed is refused before it is fetched or loaded. Zoo models are data only and need no entry.
    /// </summary>
    public IReadOnlySet<string> TrustedModules { get; set; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    public void Validate()
    {
        if (Coordinators.Count == 0)
        {
            throw new ArgumentException("Option Coordinator must name at least one address.", nameof(Coordinators));
        }

        foreach (var address in Coordinators)
        {
            if (!address.IsAbsoluteUri || address.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"Option Coordinator must be an http:// or https:// URL, got '{address}'.", nameof(Coordinator));
            }
        }

        if (Coordinators.Select(a => a.Scheme).Distinct().Count() > 1)
        {
            throw new ArgumentException("The coordinator's addresses must all be http:// or all https://: the nodes of one cluster serve workers alike.", nameof(Coordinators));
        }

        if (ShardCount < 1 || ShardIndex < 0 || ShardIndex >= ShardCount)
        {
            throw new ArgumentException($"Option ShardIndex {ShardIndex} must be in [0, {ShardCount}).", nameof(ShardIndex));
        }

        if (!(HoldoutFraction >= 0 && HoldoutFraction < 1))
        {
            throw new ArgumentException($"Option HoldoutFraction must be in [0, 1), got {HoldoutFraction}.", nameof(HoldoutFraction));
        }

        if (Threads < 0)
        {
            throw new ArgumentException($"Option Threads must be >= 0, got {Threads}.", nameof(Threads));
        }

        if (Population is { } population && population < ShardCount)
        {
            throw new ArgumentException($"Option Population ({population}) must be at least the number of workers ({ShardCount}).", nameof(Population));
        }

        if (DpSgd is { } dp && !(double.IsFinite(dp.ClipNorm) && dp.ClipNorm > 0 && double.IsFinite(dp.NoiseMultiplier) && dp.NoiseMultiplier > 0))
        {
            throw new ArgumentException("Options DpSgd clip norm and noise multiplier must be positive and finite.", nameof(DpSgd));
        }

        if (!(DpSgdDelta > 0 && DpSgdDelta < 1))
        {
            throw new ArgumentException($"Option DpSgdDelta must be in (0, 1), got {DpSgdDelta}.", nameof(DpSgdDelta));
        }

        if (TrainLimit is <= 0)
        {
            throw new ArgumentException($"Option TrainLimit must be positive, got {TrainLimit}.", nameof(TrainLimit));
        }

        if (TrustedModules.FirstOrDefault(h => !IsSha256(h)) is { } bad)
        {
            throw new ArgumentException($"Option TrustedModules: '{bad}' is not a SHA-256 (64 hex digits).", nameof(TrustedModules));
        }

        if (TextWindow is < 2)
        {
            throw new ArgumentException($"Option TextWindow must be at least 2 bytes (one context, one target), got {TextWindow}.", nameof(TextWindow));
        }
    }

    /// <summary>Whether <paramref name="text"/> is a SHA-256 written as 64 hex digits.</summary>
    public static bool IsSha256(string text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigit);
}
