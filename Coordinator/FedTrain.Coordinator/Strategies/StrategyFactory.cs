using System.Globalization;
using FedTrain.Core.Strategies;

namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// Builds the configured server strategy and refuses unknown names, unknown parameters and parameters outside
/// their domain at start, with a message naming the parameter.
/// </summary>
public static class StrategyFactory
{
    private static readonly Dictionary<string, (string[] Parameters, string Help)> Known = new(StringComparer.Ordinal)
    {
        ["fedavg"] = ([], "example-weighted mean of the deltas"),
        ["fedavgm"] = (["server_lr", "momentum"], "FedAvg with server momentum"),
        ["fedprox"] = (["proximal_mu"], "FedAvg with the proximal term (mu/2)||w - w_global||^2 in local training (Li et al. 2020)"),
        ["fedadam"] = (["server_lr", "beta1", "beta2", "tau"], "adaptive server optimizer (Reddi et al. 2021)"),
        ["fedyogi"] = (["server_lr", "beta1", "beta2", "tau"], "adaptive server optimizer (Reddi et al. 2021)"),
        ["fedadagrad"] = (["server_lr", "beta1", "tau"], "adaptive server optimizer (Reddi et al. 2021)"),
        ["qfedavg"] = (["q", "lipschitz", "example_weights"], "fairness-aware q-FFL (Li et al. 2020); example_weights=0 weighs clients equally"),
        ["median"] = ([], "coordinate-wise median"),
        ["trimmed-mean"] = (["beta"], "coordinate-wise trimmed mean, beta in [0, 0.5)"),
        ["krum"] = (["f"], "Krum (Blanchard et al. 2017), f Byzantine clients"),
        ["multi-krum"] = (["f", "m"], "Multi-Krum: mean of the m best-scoring updates (m = 0: n - f)"),
        ["norm-bounding"] = (["bound"], "clip each update's L2 norm to bound, then average"),
    };

    /// <summary>Names with a one-line description, for help texts.</summary>
    public static IEnumerable<string> Describe() => Known.Select(k => $"{k.Key}: {k.Value.Help}");

    /// <summary>Checks the configuration without allocating model-sized buffers.</summary>
    /// <exception cref="ArgumentException">Unknown name or parameter, or a parameter outside its domain.</exception>
    public static void Validate(StrategyOptions options, int minFitClients) =>
        Build(options, minFitClients, length: 0, localLearningRate: 1, spillDirectory: Path.GetTempPath()).Dispose();

    public static IAggregationStrategy Create(StrategyOptions options, int minFitClients, int length, double localLearningRate, string spillDirectory) =>
        Build(options, minFitClients, length, localLearningRate, spillDirectory);

    private static IAggregationStrategy Build(StrategyOptions options, int minFitClients, int length, double localLearningRate, string spillDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Known.TryGetValue(options.Name, out var known))
        {
            throw new ArgumentException($"Unknown strategy '{options.Name}'. Known strategies: {string.Join(", ", Known.Keys)}.", nameof(options));
        }

        foreach (string parameter in options.Parameters.Keys)
        {
            if (!known.Parameters.Contains(parameter))
            {
                throw new ArgumentException(
                    $"Strategy {options.Name} has no parameter '{parameter}'. Its parameters: {(known.Parameters.Length == 0 ? "none" : string.Join(", ", known.Parameters))}.",
                    nameof(options));
            }
        }

        double Get(string name, double fallback) => options.Parameters.TryGetValue(name, out double value) ? value : fallback;
        string description = Describe(options);
        // Zero-length strategies only validate; kernels allocate their buffers on construction.
        int size = Math.Max(length, 1);
        try
        {
            if (ServerStep(options, size) is { } step)
            {
                return new MeanStrategy(description, size, step.Optimizer, step.ProximalMu);
            }

            return options.Name switch
            {
                "qfedavg" => new QFedAvgStrategy(
                    description,
                    new QFedAvg(size, Get("q", 0.1), localLearningRate, options.Parameters.TryGetValue("lipschitz", out double l) ? l : null),
                    size,
                    Flag("example_weights", Get("example_weights", 1))),
                "median" => new RobustStrategy(description, new RobustRule.Median(), size, options.SpoolMemoryBytes, spillDirectory),
                "trimmed-mean" => new RobustStrategy(description, new RobustRule.Trimmed(Beta(Get("beta", 0.1))), size, options.SpoolMemoryBytes, spillDirectory),
                "krum" => new RobustStrategy(description, new RobustRule.KrumRule(Byzantine(Get("f", 1), minFitClients), 1), size, options.SpoolMemoryBytes, spillDirectory),
                "multi-krum" => new RobustStrategy(
                    description, new RobustRule.KrumRule(Byzantine(Get("f", 1), minFitClients), WholeNumber("m", Get("m", 0))), size, options.SpoolMemoryBytes, spillDirectory),
                "norm-bounding" => new RobustStrategy(description, new RobustRule.Bounded(Positive("bound", Get("bound", 1.0))), size, options.SpoolMemoryBytes, spillDirectory),
                _ => throw new ArgumentException($"Unknown strategy '{options.Name}'.", nameof(options)),
            };
        }
        catch (ArgumentException ex) when (ex.ParamName is { } name && !ex.Message.StartsWith("Strategy", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Strategy {options.Name}: parameter {name} is out of its domain: {ex.Message}", name, ex);
        }
    }

    /// <summary>
    /// The strategies whose aggregate is a mean of the deltas, which differential privacy can replace by its clipped
    /// and noised mean: FedAvg, FedProx and the server optimizers. The optimizer steps the model with whatever mean it
    /// is given; under DP that is post-processing of the release and spends no privacy.
    /// </summary>
    public static IReadOnlyList<string> MeanFamily { get; } = ["fedavg", "fedavgm", "fedprox", "fedadam", "fedyogi", "fedadagrad"];

    /// <summary>
    /// DP-FedAvg over the configured strategy of the mean family (<see cref="MeanFamily"/>): updates clipped, summed and
    /// noised as <paramref name="privacy"/> says, then the strategy's server step (a plain add, or its optimizer) and
    /// its proximal term for the workers.
    /// </summary>
    /// <param name="resumeClipNorm">The adaptive clip norm a resumed run continues from; null for a fresh run.</param>
    /// <exception cref="ArgumentException">The strategy is not of the mean family, or a parameter is out of its domain.</exception>
    public static IAggregationStrategy CreatePrivate(StrategyOptions options, PrivacyOptions privacy, int length, double? resumeClipNorm)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(privacy);
        using (Build(options, minFitClients: int.MaxValue, length: 0, localLearningRate: 1, spillDirectory: Path.GetTempPath()))
        {
            // Checks the name and the parameters as for a run without DP.
        }

        int size = Math.Max(length, 1);
        var step = ServerStep(options, size) ?? throw new ArgumentException(NotOfMeanFamily(options.Name), nameof(options));
        return new DpFedAvgStrategy(privacy, size, resumeClipNorm, step.Optimizer, step.ProximalMu, options.Name == "fedavg" ? null : Describe(options));
    }

    /// <summary>Whether <paramref name="strategy"/> names a strategy this factory builds.</summary>
    public static bool IsKnown(string strategy) => Known.ContainsKey(strategy);

    /// <summary>Why <paramref name="strategy"/> cannot run under differential privacy.</summary>
    public static string NotOfMeanFamily(string strategy) => strategy == "norm-bounding"
        ? "Differential privacy already bounds every update's norm (its clip norm) before it averages them: strategy norm-bounding "
            + "would do the same again. Under DP use fedavg and set the bound with --clip-norm."
        : $"Differential privacy clips each update and noises their sum, and strategy {strategy} does not aggregate a mean of the updates: "
            + "one client's influence on its result is not bounded by the clip norm, so the noise would not cover it. "
            + $"Under DP use one of {string.Join(", ", MeanFamily)}.";

    /// <summary>The server step of a strategy of the mean family (its optimizer, null for a plain add, and its proximal μ); null for the others.</summary>
    private static (IServerOptimizer? Optimizer, double ProximalMu)? ServerStep(StrategyOptions options, int size)
    {
        double Get(string name, double fallback) => options.Parameters.TryGetValue(name, out double value) ? value : fallback;
        return options.Name switch
        {
            "fedavg" => (null, 0),
            "fedavgm" => (new FedAvgM(size, Get("server_lr", 1.0), Get("momentum", 0.9)), 0),
            "fedprox" => (null, NonNegative("proximal_mu", Get("proximal_mu", 0.01))),
            "fedadam" => (new FedAdam(size, Get("server_lr", 0.1), Get("beta1", 0.9), Get("beta2", 0.99), Get("tau", 1e-3)), 0),
            "fedyogi" => (new FedYogi(size, Get("server_lr", 0.01), Get("beta1", 0.9), Get("beta2", 0.99), Get("tau", 1e-3)), 0),
            "fedadagrad" => (new FedAdagrad(size, Get("server_lr", 0.1), Get("beta1", 0.0), Get("tau", 1e-3)), 0),
            _ => null,
        };
    }

    private static string Describe(StrategyOptions options) => options.Parameters.Count == 0
        ? options.Name
        : $"{options.Name}({string.Join(", ", options.Parameters.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value}")))})";

    private static double Beta(double beta) => beta is >= 0 and < 0.5
        ? beta
        : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Strategy trimmed-mean: parameter beta must be in [0, 0.5), got {beta}."), nameof(beta));

    private static int Byzantine(double f, int minFitClients)
    {
        int byzantine = WholeNumber(nameof(f), f);
        if (minFitClients <= (2 * byzantine) + 2)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Strategy krum: parameter f={byzantine} is too large for the cohort: Krum needs n > 2f + 2 = {(2 * byzantine) + 2} updates, and min_fit_clients is {minFitClients}."),
                nameof(f));
        }

        return byzantine;
    }

    private static bool Flag(string name, double value) => value switch
    {
        0 => false,
        1 => true,
        _ => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Strategy parameter {name} must be 0 or 1, got {value}."), name),
    };

    private static int WholeNumber(string name, double value) => value >= 0 && value == Math.Floor(value) && value < int.MaxValue
        ? (int)value
        : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Strategy parameter {name} must be a whole number >= 0, got {value}."), name);

    private static double NonNegative(string name, double value) => double.IsFinite(value) && value >= 0
        ? value
        : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Strategy parameter {name} must be a finite number >= 0, got {value}."), name);

    private static double Positive(string name, double value) => double.IsFinite(value) && value > 0
        ? value
        : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Strategy parameter {name} must be positive and finite, got {value}."), name);
}
