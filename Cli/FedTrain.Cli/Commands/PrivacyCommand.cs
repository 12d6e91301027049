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

    private static Command EpsilonCommand()
    {
        var (rate, steps, delta) = CommonOptions();
        var noise = new Option<double>("--noise-multiplier") { Description = "Noise multiplier z (noise std / clip norm).", Required = true };
        var command = new Command("epsilon", "Epsilon spent after STEPS rounds at sampling rate Q and noise multiplier Z.");
        foreach (var option in new Option[] { rate, noise, steps, delta })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            double q = parse.GetValue(rate), z = parse.GetValue(noise), d = parse.GetValue(delta);
            int t = parse.GetValue(steps);
            double epsilon = NoiseCalibration.Epsilon(q, z, t, d);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RDP accountant (Sampled Gaussian Mechanism): q={q}, z={z}, rounds={t}, delta={d}"));
            Console.WriteLine(epsilon.ToString("R", CultureInfo.InvariantCulture));
            return 0;
        });
        return command;
    }

    private static Command NoiseCommand()
    {
        var (rate, steps, delta) = CommonOptions();
        var target = new Option<double>("--target-epsilon") { Description = "Epsilon the run may spend.", Required = true };
        var command = new Command("noise", "Smallest noise multiplier that keeps STEPS rounds at sampling rate Q within the target epsilon.");
        foreach (var option in new Option[] { target, rate, steps, delta })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            double e = parse.GetValue(target), q = parse.GetValue(rate), d = parse.GetValue(delta);
            int t = parse.GetValue(steps);
            double z = NoiseCalibration.NoiseMultiplierFor(e, q, t, d);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RDP accountant (Sampled Gaussian Mechanism): target epsilon={e}, q={q}, rounds={t}, delta={d}"));
            Console.WriteLine(z.ToString("R", CultureInfo.InvariantCulture));
            return 0;
        });
        return command;
    }

    private static (Option<double> Rate, Option<int> Steps, Option<double> Delta) CommonOptions() => (
        new Option<double>("--sampling-rate") { Description = "Poisson sampling rate q of clients per round.", Required = true },
        new Option<int>("--steps") { Description = "Rounds (releases).", Required = true },
        new Option<double>("--delta") { Description = "Delta of (epsilon, delta)-DP.", Required = true });
}
