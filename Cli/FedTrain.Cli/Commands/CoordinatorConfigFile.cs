using System.Text.Json;
using FedTrain.Coordinator;
using FedTrain.Core.Models;

namespace FedTrain.Cli.Commands;

/// <summary>
/// The coordinator's JSON configuration file (snake_case keys, every key optional; command-line flags win).
/// Unknown keys are refused so a typo cannot silently leave a default in place.
/// </summary>
internal sealed class CoordinatorConfigFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public string? Bind { get; set; }
    public int? GrpcPort { get; set; }
    public int? HttpPort { get; set; }
    public string? RunDir { get; set; }
    public string? Database { get; set; }
    public string? DatabasePasswordFile { get; set; }
    public int? QuarantineAfterFailures { get; set; }
    public int? QuarantineRounds { get; set; }
    public int? Rounds { get; set; }
    public int? MinWorkers { get; set; }
    public double? FractionFit { get; set; }
    public int? MinFitClients { get; set; }
    public double? QuorumFraction { get; set; }
    public double? FractionEvaluate { get; set; }
    public double? EvaluationTimeoutSeconds { get; set; }
    public double? RoundTimeoutSeconds { get; set; }
    public double? StartTimeoutSeconds { get; set; }
    public double? HeartbeatIntervalSeconds { get; set; }
    public double? WorkerTimeoutSeconds { get; set; }
    public int? MaxMessageBytes { get; set; }
    public int? ChunkBytes { get; set; }
    public bool? GrpcReflection { get; set; }
    public string? TestData { get; set; }
    public int? TestLimit { get; set; }
    public ulong? Seed { get; set; }
    public int? Threads { get; set; }
    public ModelSpec? Model { get; set; }
    public TrainingConfig? Training { get; set; }
    public StrategyOptions? Strategy { get; set; }
    public PrivacyOptions? Privacy { get; set; }
    public Coordinator.Security.SecurityOptions? Security { get; set; }
    public string? UpdateCompression { get; set; }

    public static CoordinatorConfigFile Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<CoordinatorConfigFile>(File.ReadAllText(path), Json)
                ?? throw new ArgumentException($"{path}: the configuration is empty.");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{path}: {ex.Message}", ex);
        }
    }

    public void ApplyTo(CoordinatorOptions options)
    {
        options.BindAddress = Bind ?? options.BindAddress;
        options.GrpcPort = GrpcPort ?? options.GrpcPort;
        options.HttpPort = HttpPort ?? options.HttpPort;
        options.RunDirectory = RunDir ?? options.RunDirectory;
        options.Database = Database ?? options.Database;
        options.DatabasePasswordFile = DatabasePasswordFile ?? options.DatabasePasswordFile;
        options.QuarantineAfterFailures = QuarantineAfterFailures ?? options.QuarantineAfterFailures;
        options.QuarantineRounds = QuarantineRounds ?? options.QuarantineRounds;
        options.Rounds = Rounds ?? options.Rounds;
        options.MinWorkers = MinWorkers ?? options.MinWorkers;
        options.FractionFit = FractionFit ?? options.FractionFit;
        options.MinFitClients = MinFitClients ?? options.MinFitClients;
        options.QuorumFraction = QuorumFraction ?? options.QuorumFraction;
        options.FractionEvaluate = FractionEvaluate ?? options.FractionEvaluate;
        options.EvaluationTimeout = Seconds(EvaluationTimeoutSeconds) ?? options.EvaluationTimeout;
        options.RoundTimeout = Seconds(RoundTimeoutSeconds) ?? options.RoundTimeout;
        options.StartTimeout = Seconds(StartTimeoutSeconds) ?? options.StartTimeout;
        options.HeartbeatInterval = Seconds(HeartbeatIntervalSeconds) ?? options.HeartbeatInterval;
        options.WorkerTimeout = Seconds(WorkerTimeoutSeconds) ?? options.WorkerTimeout;
        options.MaxMessageBytes = MaxMessageBytes ?? options.MaxMessageBytes;
        options.ChunkBytes = ChunkBytes ?? options.ChunkBytes;
        options.GrpcReflection = GrpcReflection ?? options.GrpcReflection;
        options.TestDataDirectory = TestData ?? options.TestDataDirectory;
        options.TestLimit = TestLimit ?? options.TestLimit;
        options.Seed = Seed ?? options.Seed;
        options.Threads = Threads ?? options.Threads;
        options.Model = Model ?? options.Model;
        options.Training = Training ?? options.Training;
        options.Strategy = Strategy ?? options.Strategy;
        options.Privacy = Privacy ?? options.Privacy;
        options.Security = Security ?? options.Security;
        if (UpdateCompression is { } compression)
        {
            (options.UpdateCompression, options.UpdateTopKFraction) = Core.Compression.UpdateCompression.Parse(compression);
        }
    }

    private static TimeSpan? Seconds(double? seconds) => seconds is { } s ? TimeSpan.FromSeconds(s) : null;
}
