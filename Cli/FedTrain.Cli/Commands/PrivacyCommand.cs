using System.CommandLine;
using System.Globalization;
using FedTrain.Privacy;

namespace FedTrain.Cli.Commands;

/// <summary>
/// <c>fedtrain privacy epsilon|noise</c>: what a DP run will cost before it runs, from the same RDP accountant the
/// coordinator uses (Sampled Gaussian Mechanism, one release per round). The last line is the number alone.
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
        (z, q, t, d) => (string.Create(CultureInfo.InvariantCulture, $"q={q}, z={z}, rounds={t}, delta={d}"), NoiseCalibration.Epsilon(q, z, t, d)));

    private static Command NoiseCommand() => PlanCommand(
        "noise",
        "Smallest noise multiplier that keeps STEPS rounds at sampling rate Q within the target epsilon.",
        new Option<double>("--target-epsilon") { Description = "Epsilon the run may spend.", Required = true },
        (e, q, t, d) => (string.Create(CultureInfo.InvariantCulture, $"target epsilon={e}, q={q}, rounds={t}, delta={d}"), NoiseCalibration.NoiseMultiplierFor(e, q, t, d)));

    /// <summary>
    /// A planning command: its own option plus the sampling rate, rounds and delta, answered with a header line
    /// and then the number alone, so scripts can take the last line.
    /// </summary>
    private static Command PlanCommand(
        string name, string description, Option<double> given, Func<double, double, int, double, (string Inputs, double Answer)> plan)
    {
        var (rate, steps, delta) = CommonOptions();
        var command = new Command(name, description);
        foreach (var option in new Option[] { given, rate, steps, delta })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            var (inputs, answer) = plan(parse.GetValue(given), parse.GetValue(rate), parse.GetValue(steps), parse.GetValue(delta));
            Console.WriteLine("RDP accountant (Sampled Gaussian Mechanism): " + inputs);
            Console.WriteLine(answer.ToString("R", CultureInfo.InvariantCulture));
            return 0;
        });
        return command;
    }

    private static (Option<double> Rate, Option<int> Steps, Option<double> Delta) CommonOptions() => (
        new Option<double>("--sampling-rate") { Description = "Poisson sampling rate q of clients per round.", Required = true },
        new Option<int>("--steps") { Description = "Rounds (releases).", Required = true },
        new Option<double>("--delta") { Description = "Delta of (epsilon, delta)-DP.", Required = true });
}
