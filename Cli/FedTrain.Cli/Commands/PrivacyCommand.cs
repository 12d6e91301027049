using System.CommandLine;
using System.Globalization;
using FedTrain.Coordinator;
using FedTrain.Privacy;

namespace FedTrain.Cli.Commands;

/// <summary>
/// <c>fedtrain privacy epsilon|noise</c>: what a DP run will cost before it runs, from the same RDP accountant the
/// coordinator uses (Sampled Gaussian Mechanism, one release per round, plus the fairness histogram's release per
/// round when <c>--evaluation-noise-multiplier</c> is given). With <c>--population-size</c>, <c>--clip-norm</c> and
/// <c>--parameters</c> it
/// also says how large the noise on the mean is next to the clipped signal. The last line is the number alone.
/// </summary>
internal static class PrivacyCommand
{
    public static Command Create()
    {
        var command = new Command("privacy", "Plan a differentially private run: epsilon for a noise level, or the noise for an epsilon.");
        command.Subcommands.Add(EpsilonCommand());
        command.Subcommands.Add(NoiseCommand());
        return command;
    }

    private static Command EpsilonCommand() => PlanCommand(
        "epsilon",
        "Epsilon spent after STEPS rounds at sampling rate Q and noise multiplier Z.",
        new Option<double>("--noise-multiplier") { Description = "Noise multiplier z (noise std / clip norm).", Required = true },
        (z, plan) => (
            string.Create(CultureInfo.InvariantCulture, $"q={plan.Rate}, z={z}, rounds={plan.Steps}, delta={plan.Delta}{plan.FairnessText}"),
            z,
            NoiseCalibration.Epsilon(plan.Rate, z, plan.Steps, plan.Delta, alongside: plan.Alongside)));

    private static Command NoiseCommand() => PlanCommand(
        "noise",
        "Smallest noise multiplier that keeps STEPS rounds at sampling rate Q within the target epsilon.",
        new Option<double>("--target-epsilon") { Description = "Epsilon the run may spend.", Required = true },
        (e, plan) =>
        {
            double z = NoiseCalibration.NoiseMultiplierFor(e, plan.Rate, plan.Steps, plan.Delta, alongside: plan.Alongside);
            return (string.Create(CultureInfo.InvariantCulture, $"target epsilon={e}, q={plan.Rate}, rounds={plan.Steps}, delta={plan.Delta}{plan.FairnessText}"), z, z);
        });

    /// <summary>
    /// A planning command: its own option plus the common ones, answered with a header line, the noise lines when the
    /// federation's size and the clip norm are known, and then the number alone, so scripts can take the last line.
    /// </summary>
    private static Command PlanCommand(
        string name, string description, Option<double> given, Func<double, Plan, (string Inputs, double NoiseMultiplier, double Answer)> answer)
    {
        var rate = new Option<double>("--sampling-rate") { Description = "Poisson sampling rate q of clients per round.", Required = true };
        var steps = new Option<int>("--steps") { Description = "Rounds (releases).", Required = true };
        var delta = new Option<double>("--delta") { Description = "Delta of (epsilon, delta)-DP.", Required = true };
        var evaluationNoise = new Option<double?>("--evaluation-noise-multiplier")
        {
            Description = "Account the fairness histogram each round releases too, with this noise multiplier (the coordinator's default is "
                + PrivacyOptions.DefaultEvaluationNoiseMultiplier.ToString(CultureInfo.InvariantCulture) + ").",
        };
        var evaluationRate = new Option<double?>("--evaluation-sampling-rate") { Description = "Poisson rate of the fairness evaluation's clients (default: --sampling-rate)." };
        var population = new Option<int?>("--population-size") { Description = "M, the clients in the federation: with --clip-norm and --parameters, prints the noise on the mean (z*C/(q*M) per coordinate) and its norm." };
        var clipNorm = new Option<double?>("--clip-norm") { Description = "C, the clip norm, for the noise figures." };
        var parameters = new Option<long?>("--parameters") { Description = "d, the model's parameter count (the coordinator prints it at start), for the noise's norm." };
        var command = new Command(name, description);
        foreach (var option in new Option[] { given, rate, steps, delta, evaluationNoise, evaluationRate, population, clipNorm, parameters })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            double q = parse.GetValue(rate);
            SgmEvent[]? alongside = parse.GetValue(evaluationNoise) is { } ze
                ? [new SgmEvent(parse.GetValue(evaluationRate) ?? q, ze, parse.GetValue(steps))]
                : null;
            var plan = new Plan(q, parse.GetValue(steps), parse.GetValue(delta), alongside);
            var (inputs, z, result) = answer(parse.GetValue(given), plan);
            Console.WriteLine("RDP accountant (Sampled Gaussian Mechanism): " + inputs);
            if (parse.GetValue(population) is { } m && parse.GetValue(clipNorm) is { } c && parse.GetValue(parameters) is { } d)
            {
                foreach (string line in PrivacyPlan.Noise(z, c, q * m, d))
                {
                    Console.WriteLine(line);
                }
            }

            Console.WriteLine(result.ToString("R", CultureInfo.InvariantCulture));
            return 0;
        });
        return command;
    }

    private sealed record Plan(double Rate, int Steps, double Delta, IReadOnlyList<SgmEvent>? Alongside)
    {
        public string FairnessText => Alongside is [var e]
            ? string.Create(CultureInfo.InvariantCulture, $", plus a fairness histogram per round (q={e.SamplingRate}, z={e.NoiseMultiplier})")
            : string.Empty;
    }
}
