using System.CommandLine;
using System.Globalization;
using FedTrain.Coordinator;

namespace FedTrain.Cli.Commands;

/// <summary>Run-shaping flags shared by <c>coordinator</c> and <c>demo</c>.</summary>
internal sealed class CoordinatorFlags
{
    private readonly Option<int?> _rounds = new("--rounds") { Description = "Rounds to train." };
    private readonly Option<double?> _fractionFit = new("--fraction-fit") { Description = "Fraction of live workers selected per round." };
    private readonly Option<double?> _fractionEvaluate = new("--fraction-evaluate") { Description = "Fraction of live clients that score each new model on their held-out data (0 turns federated evaluation off)." };
    private readonly Option<int?> _minFitClients = new("--min-fit-clients") { Description = "Fewest clients a round selects." };
    private readonly Option<double?> _quorum = new("--quorum") { Description = "Fraction of selected clients whose updates a round needs at its deadline." };
    private readonly Option<double?> _roundTimeout = new("--round-timeout") { Description = "Seconds a round waits for updates." };
    private readonly Option<string?> _database = new("--database") { Description = "Coordinator database: a SQLite file (default: coordinator.db in the run folder), postgres://USER@HOST:PORT/DB or Host=...;Database=... (no password here: see --database-password-file)." };
    private readonly Option<string?> _databasePasswordFile = new("--database-password-file") { Description = "File whose first line is the PostgreSQL password (else PGPASSWORD, then PGPASSFILE)." };
    private readonly Option<int?> _testLimit = new("--test-limit") { Description = "Evaluate on the first N test images only." };
    private readonly Option<string?> _testData = new("--test-data") { Description = "Folder of the test set: IDX files, or text files for --model lm." };
    private readonly Option<ulong?> _seed = new("--seed") { Description = "Seed for initialisation, selection and partitioning." };
    private readonly Option<string?> _strategy = new("--strategy") { Description = "Server strategy: " + string.Join("; ", Coordinator.Strategies.StrategyFactory.Describe()) + "." };
    private readonly Option<string[]> _strategyParams = new("--strategy-param") { Description = "A strategy parameter as NAME=VALUE (repeatable), e.g. beta=0.2." };
    private readonly Option<double?> _samplingRate = new("--sampling-rate") { Description = "DP: Poisson sampling rate q of clients per round." };
    private readonly Option<double?> _noiseMultiplier = new("--noise-multiplier") { Description = "DP: noise multiplier z; setting it turns user-level DP-FedAvg on." };
    private readonly Option<string?> _clipNorm = new("--clip-norm") { Description = "DP: clip norm C, or 'adaptive' (start 0.1, median quantile)." };
    private readonly Option<double?> _targetEpsilon = new("--target-epsilon") { Description = "DP: the run stops before a round would exceed this epsilon." };
    private readonly Option<double?> _delta = new("--delta") { Description = "DP: delta of (epsilon, delta)-DP (default 1e-5); must be below 1/population." };
    private readonly Option<int?> _population = new("--population-size") { Description = "DP: M, the number of clients in the federation (a public constant; the mean's denominator is q*M). Required with DP except in the demo, which knows it." };
    private readonly Option<bool> _allowLargeDelta = new("--allow-large-delta") { Description = "DP: accept delta >= 1/population." };
    private readonly Option<double?> _evaluationSamplingRate = new("--evaluation-sampling-rate") { Description = "DP: Poisson rate of the clients that score each new model for the fairness figures (default: --sampling-rate)." };
    private readonly Option<double?> _evaluationNoise = new("--evaluation-noise-multiplier") { Description = "DP: noise std on each bucket of the fairness histogram (default 4)." };
    private readonly Option<string?> _updateCompression = new("--update-compression") { Description = "How workers encode their updates: none (float32), float16, int8 (per-block scales), or topk:FRACTION (each block of 4096 sends that fraction of its largest values); the compressed ones with error feedback on the workers." };
    private readonly Option<bool> _grpcReflection = new("--grpc-reflection") { Description = "Serve gRPC server reflection on the gRPC port (grpcurl without the .proto files; config key grpc_reflection)." };
    private readonly Option<long?> _maxExamplesPerClient = new("--max-examples-per-client") { Description = "Largest FedAvg weight one client's update gets (security.limits.max_examples_per_client; example counts are the workers' claims)." };
    private readonly TrainingFlags _training = new();
    private readonly TorchScriptFlag _torchScript = new();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
        {
            _rounds, _database, _databasePasswordFile, _fractionFit, _fractionEvaluate, _minFitClients, _quorum, _roundTimeout, _testLimit, _testData, _seed,
            _strategy, _strategyParams, _samplingRate, _noiseMultiplier, _clipNorm, _targetEpsilon, _delta, _population, _allowLargeDelta,
            _evaluationSamplingRate, _evaluationNoise, _updateCompression,
            _maxExamplesPerClient, _grpcReflection,
        })
        {
            command.Options.Add(option);
        }

        _training.AddTo(command);
        _torchScript.AddTo(command);
    }

    public ulong? Seed(ParseResult parse) => parse.GetValue(_seed);

    /// <summary>Applies the local-training flags again, over a preset the demo chose from its data after <see cref="Apply"/>.</summary>
    public void ApplyTraining(ParseResult parse, CoordinatorOptions options) => options.Training = _training.ApplyTraining(parse, options.Training);

    private void ApplyPrivacy(ParseResult parse, CoordinatorOptions options)
    {
        bool anyFlag = parse.GetValue(_noiseMultiplier) is not null || parse.GetValue(_samplingRate) is not null
            || parse.GetValue(_clipNorm) is not null || parse.GetValue(_targetEpsilon) is not null || parse.GetValue(_delta) is not null
            || parse.GetValue(_population) is not null || parse.GetValue(_evaluationSamplingRate) is not null || parse.GetValue(_evaluationNoise) is not null;
        if (!anyFlag)
        {
            return;
        }

        if (parse.GetValue(_noiseMultiplier) is null && options.Privacy is null)
        {
            throw new ArgumentException("Differential privacy needs --noise-multiplier (the other DP flags only refine it).");
        }

        var privacy = options.Privacy ?? new PrivacyOptions();
        privacy.NoiseMultiplier = parse.GetValue(_noiseMultiplier) ?? privacy.NoiseMultiplier;
        privacy.SamplingRate = parse.GetValue(_samplingRate) ?? privacy.SamplingRate;
        privacy.TargetEpsilon = parse.GetValue(_targetEpsilon) ?? privacy.TargetEpsilon;
        privacy.Delta = parse.GetValue(_delta) ?? privacy.Delta;
        privacy.Population = parse.GetValue(_population) ?? privacy.Population;
        privacy.AllowDeltaAboveInversePopulation |= parse.GetValue(_allowLargeDelta);
        privacy.EvaluationSamplingRate = parse.GetValue(_evaluationSamplingRate) ?? privacy.EvaluationSamplingRate;
        privacy.EvaluationNoiseMultiplier = parse.GetValue(_evaluationNoise) ?? privacy.EvaluationNoiseMultiplier;
        switch (parse.GetValue(_clipNorm))
        {
            case null:
                break;
            case "adaptive":
                privacy.AdaptiveClipping = true;
                break;
            case var text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double clip):
                privacy.ClipNorm = clip;
                privacy.AdaptiveClipping = false;
                break;
            case var text:
                throw new ArgumentException($"--clip-norm must be a number or 'adaptive', got '{text}'.");
        }

        options.Privacy = privacy;
    }

    public void Apply(ParseResult parse, CoordinatorOptions options)
    {
        options.Rounds = parse.GetValue(_rounds) ?? options.Rounds;
        options.Database = DatabaseFlag.Refusing(parse.GetValue(_database)) ?? options.Database;
        options.DatabasePasswordFile = parse.GetValue(_databasePasswordFile) ?? options.DatabasePasswordFile;
        options.FractionFit = parse.GetValue(_fractionFit) ?? options.FractionFit;
        options.MinFitClients = parse.GetValue(_minFitClients) ?? options.MinFitClients;
        options.FractionEvaluate = parse.GetValue(_fractionEvaluate) ?? options.FractionEvaluate;
        options.QuorumFraction = parse.GetValue(_quorum) ?? options.QuorumFraction;
        options.RoundTimeout = parse.GetValue(_roundTimeout) is { } timeout ? TimeSpan.FromSeconds(timeout) : options.RoundTimeout;
        options.TestLimit = parse.GetValue(_testLimit) ?? options.TestLimit;
        options.TestDataDirectory = parse.GetValue(_testData) ?? options.TestDataDirectory;
        options.Seed = parse.GetValue(_seed) ?? options.Seed;
        options.Security.Limits.MaxExamplesPerClient = parse.GetValue(_maxExamplesPerClient) ?? options.Security.Limits.MaxExamplesPerClient;
        options.GrpcReflection |= parse.GetValue(_grpcReflection);
        (options.Model, options.Training) = _training.Apply(parse, options.Model, options.Training);
        options.Model = _torchScript.Apply(parse, options.Model);
        if (parse.GetValue(_testData) is null && options.TestDataDirectory == Core.Data.FashionMnist.DefaultDirectory)
        {
            options.TestDataDirectory = Core.Data.ModelData.DefaultDirectory(options.Model);
        }

        options.Strategy.Name = parse.GetValue(_strategy) ?? options.Strategy.Name;
        foreach (string parameter in parse.GetValue(_strategyParams) ?? [])
        {
            var parts = parameter.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                throw new ArgumentException($"--strategy-param must be NAME=NUMBER, got '{parameter}'.");
            }

            options.Strategy.Parameters[parts[0]] = value;
        }

        ApplyPrivacy(parse, options);
        if (parse.GetValue(_updateCompression) is { } compression)
        {
            (options.UpdateCompression, options.UpdateTopKFraction) = Core.Compression.UpdateCompression.Parse(compression);
        }
    }
}
