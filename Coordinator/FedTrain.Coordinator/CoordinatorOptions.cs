using FedTrain.Core.Compression;
using FedTrain.Core.Data;
using FedTrain.Core.Models;

namespace FedTrain.Coordinator;

/// <summary>Everything a coordinator run is configured with. <see cref="Validate"/> names the first bad option.</summary>
public sealed class CoordinatorOptions
{
    /// <summary>Address the gRPC and HTTP ports bind to.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>gRPC port for workers; 0 picks a free one.</summary>
    public int GrpcPort { get; set; } = 50051;

    /// <summary>HTTP port for status and health; 0 picks a free one.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>Folder holding the database, checkpoints and summary.json.</summary>
    public string RunDirectory { get; set; } = "runs/default";

    /// <summary>
    /// The coordinator database: null for SQLite in <see cref="RunDirectory"/>, a SQLite file path, or PostgreSQL
    /// as <c>postgres://user:password@host:port/database</c> or <c>Host=...;Database=...</c>.
    /// </summary>
    public string? Database { get; set; }

    /// <summary>
    /// For PostgreSQL: a file whose first line is the database password, so it need not appear in
    /// <see cref="Database"/> (and on a command line). Without it Npgsql reads <c>PGPASSWORD</c>, then <c>PGPASSFILE</c>.
    /// </summary>
    public string? DatabasePasswordFile { get; set; }

    public int Rounds { get; set; } = 5;

    /// <summary>Registered workers needed before round 1 starts.</summary>
    public int MinWorkers { get; set; } = 2;

    /// <summary>Fraction of the live clients selected per round (at least <see cref="MinFitClients"/>).</summary>
    public double FractionFit { get; set; } = 1.0;

    /// <summary>Fewest clients a round selects; a round waits until this many are live.</summary>
    public int MinFitClients { get; set; } = 2;

    /// <summary>Fraction of the live clients that score each new model on their held-out data; 0 turns it off.</summary>
    public double FractionEvaluate { get; set; } = 1.0;

    /// <summary>How long federated evaluation waits for scores.</summary>
    public TimeSpan EvaluationTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Fraction of the selected clients whose updates a round needs once its deadline passes.</summary>
    public double? QuorumFraction { get; set; }

    /// <summary>How long a round waits for updates.</summary>
    public TimeSpan RoundTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Attempts per round before the run fails, when rounds miss their quorum.</summary>
    public int? MaxRoundAttempts { get; set; }

    /// <summary>
    /// The quorum a round attempt needs: the configured one, 0.5 by default, and none under differential privacy, where
    /// every round is one release whatever the count of updates (a threshold on that count would leak it).
    /// </summary>
    public double EffectiveQuorumFraction => QuorumFraction ?? (Privacy is null ? 0.5 : 0);

    /// <summary>Attempts per round before the run stops: the configured number, 3 by default, and 1 under differential privacy.</summary>
    public int EffectiveMaxRoundAttempts => MaxRoundAttempts ?? (Privacy is null ? 3 : 1);

    /// <summary>Consecutive failed assignments after which a worker is quarantined; 0 never quarantines.</summary>
    public int QuarantineAfterFailures { get; set; } = 3;

    /// <summary>Rounds a quarantined worker sits out before it is selected again.</summary>
    public int QuarantineRounds { get; set; } = 3;

    /// <summary>How long the run waits for <see cref="MinWorkers"/> workers before giving up.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A worker silent for this long is taken as gone.</summary>
    public TimeSpan WorkerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public ModelSpec Model { get; set; } = ModelSpec.FashionMnistCnn;

    public TrainingConfig Training { get; set; } = TrainingConfig.Default;

    /// <summary>The server strategy and its parameters.</summary>
    public StrategyOptions Strategy { get; set; } = new();

    /// <summary>User-level differential privacy; null runs without it.</summary>
    public PrivacyOptions? Privacy { get; set; }

    /// <summary>Folder of the IDX test set used to evaluate the global model.</summary>
    public string TestDataDirectory { get; set; } = FashionMnist.DefaultDirectory;

    /// <summary>
    /// The test set in another format than IDX or text (an image folder, a table, arrays) and how to read it; null
    /// reads <see cref="TestDataDirectory"/> as IDX files (or text for a language model).
    /// </summary>
    public Core.Data.Formats.DataSourceOptions? TestDataSource { get; set; }

    /// <summary>How an image test set's pixels are normalised; null for the default of the model's channels.</summary>
    public Core.Data.Formats.ImageNormalization? ImageNormalization { get; set; }

    /// <summary>The run's class names, in index order (tables and image folders map their labels by it); null for none.</summary>
    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <summary>
    /// The run's feature columns in the model's input order (<c>--feature-columns</c>, or a table test set's columns),
    /// served to workers so that they read their tables by name; null when the run names none.
    /// </summary>
    public IReadOnlyList<string>? FeatureNames { get; set; }

    /// <summary>Evaluate on the first N test images only; null for all 10,000.</summary>
    public int? TestLimit { get; set; }

    /// <summary>Largest gRPC message accepted (chunks must be smaller).</summary>
    public int MaxMessageBytes { get; set; } = 4 * 1024 * 1024;

    public int ChunkBytes { get; set; } = 1 << 20;

    /// <summary>
    /// Serve gRPC server reflection on the gRPC port, so that tools such as grpcurl can call the coordinator without
    /// its .proto files. Off by default: it tells any caller the whole API.
    /// </summary>
    public bool GrpcReflection { get; set; }

    /// <summary>Seeds model initialisation and worker selection.</summary>
    public ulong Seed { get; set; } = 42;

    /// <summary>libtorch threads for evaluation; 0 for all cores.</summary>
    public int Threads { get; set; }

    /// <summary>Authentication, TLS and per-worker limits.</summary>
    public Security.SecurityOptions Security { get; set; } = new();

    /// <summary>How workers encode their updates (<c>--update-compression</c>); uploads in another encoding are refused.</summary>
    public UpdateEncoding UpdateCompression { get; set; } = UpdateEncoding.Float32;

    /// <summary>With top-k compression, the fraction of each block's values a worker sends (<c>topk:FRACTION</c>).</summary>
    public double UpdateTopKFraction { get; set; } = Core.Compression.UpdateCompression.DefaultTopKFraction;

    /// <summary>Exit after the last round instead of waiting for workers to be told.</summary>
    public TimeSpan FinishGracePeriod { get; set; } = TimeSpan.FromSeconds(3);

    public void Validate()
    {
        Model.Validate();
        Training.Validate();
        Require(Rounds > 0, nameof(Rounds), "must be positive");
        Require(MinWorkers > 0, nameof(MinWorkers), "must be positive");
        Require(MinFitClients > 0, nameof(MinFitClients), "must be positive");
        Require(FractionFit is > 0 and <= 1, nameof(FractionFit), "must be in (0, 1]");
        Require(QuorumFraction is null or (> 0 and <= 1), nameof(QuorumFraction), "must be in (0, 1]");
        Require(FractionEvaluate is >= 0 and <= 1, nameof(FractionEvaluate), "must be in [0, 1]");
        Require(EvaluationTimeout > TimeSpan.Zero, nameof(EvaluationTimeout), "must be positive");
        Require(RoundTimeout > TimeSpan.Zero, nameof(RoundTimeout), "must be positive");
        Require(MaxRoundAttempts is null or > 0, nameof(MaxRoundAttempts), "must be positive");
        Require(QuarantineAfterFailures >= 0, nameof(QuarantineAfterFailures), "must be 0 (off) or positive");
        Require(QuarantineRounds > 0, nameof(QuarantineRounds), "must be positive");
        Require(Database is null || Database.Trim().Length > 0, nameof(Database), "must not be blank");
        Require(
            DatabasePasswordFile is null || (Database is not null && Storage.PostgresConnectionString.IsPostgres(Database)),
            nameof(DatabasePasswordFile),
            "is for a PostgreSQL database only");
        Require(HeartbeatInterval > TimeSpan.Zero, nameof(HeartbeatInterval), "must be positive");
        Require(WorkerTimeout > HeartbeatInterval, nameof(WorkerTimeout), "must exceed the heartbeat interval");
        Require(GrpcPort is >= 0 and <= 65535, nameof(GrpcPort), "must be a port number");
        Require(HttpPort is >= 0 and <= 65535, nameof(HttpPort), "must be a port number");
        Require(MaxMessageBytes >= 64 * 1024, nameof(MaxMessageBytes), "must be at least 64 KiB");
        Require(ChunkBytes > 0 && ChunkBytes <= MaxMessageBytes - 1024, nameof(ChunkBytes), "must be positive and below the max message size");
        Require(ChunkBytes % sizeof(float) == 0, nameof(ChunkBytes), "must be a multiple of 4");
        Require(TestLimit is null or > 0, nameof(TestLimit), "must be positive");
        Require(Enum.IsDefined(UpdateCompression), nameof(UpdateCompression), "must be one of " + Core.Compression.UpdateCompression.Choices);
        Require(UpdateCompression != UpdateEncoding.TopK || UpdateTopKFraction is > 0 and <= 1, nameof(UpdateTopKFraction), "must be in (0, 1]");
        // Under DP a known strategy that does not average the updates is refused for that reason first, before its own
        // checks (Krum's cohort size, say) could name another.
        if (Privacy is not null && Strategies.StrategyFactory.IsKnown(Strategy.Name) && !Strategies.StrategyFactory.MeanFamily.Contains(Strategy.Name))
        {
            throw new ArgumentException(Strategies.StrategyFactory.NotOfMeanFamily(Strategy.Name), nameof(Strategy));
        }

        Strategies.StrategyFactory.Validate(Strategy, MinFitClients);
        if (FeatureNames is not null)
        {
            Require(Model.IsTabular || Model.Kind == ModelSpec.TorchScriptKind, nameof(FeatureNames), $"(--feature-columns) names a table's columns, but the model ({Model.Kind}) does not read tables");
            new Core.Data.Formats.DataContract(Model) { FeatureNames = FeatureNames }.Validate();
        }

        Security.Validate();
        if (Privacy is { } privacy)
        {
            privacy.Validate();
            // A quorum, or a retried attempt, would condition what is released on the noise-free count of updates, and a
            // re-drawn cohort is a second sample of the same round: under DP every round is exactly one release.
            if (QuorumFraction is not null)
            {
                throw new ArgumentException(
                    "Option quorum_fraction (--quorum) cannot be combined with differential privacy: a round under DP releases its noised aggregate whatever the number of updates (dropouts count as zero contributions). Remove it.",
                    nameof(QuorumFraction));
            }

            if (MaxRoundAttempts is > 1)
            {
                throw new ArgumentException(
                    "Option max_round_attempts cannot exceed 1 under differential privacy: a retried round would draw a second cohort for the same release.",
                    nameof(MaxRoundAttempts));
            }

            double first = FedTrain.Privacy.NoiseCalibration.Epsilon(
                privacy.SamplingRate, privacy.NoiseMultiplier, 1, privacy.Delta, alongside: FractionEvaluate > 0 ? [privacy.EvaluationRelease] : null);
            if (first > privacy.TargetEpsilon)
            {
                throw new ArgumentException(
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The first round alone would spend epsilon {first:F4}, above the target {privacy.TargetEpsilon}: raise the noise multiplier or the target, or lower the sampling rate."),
                    nameof(Privacy));
            }
        }
    }

    private static void Require(bool condition, string option, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"Option {option} {rule}.", option);
        }
    }
}
