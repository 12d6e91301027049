using System.Globalization;
using System.Runtime.CompilerServices;
using FedTrain.Bench.Federation;

namespace FedTrain.Bench.Suites;

/// <summary>
/// What a round costs on top of training: coordinator and N worker processes on this machine, workers that return
/// a fixed delta without training, models of P parameters in 10 tensors. Median seconds per round against the
/// 1.5 s target, and the coordinator's peak RSS against 3× the model plus the base measured on the smallest model.
/// The target case runs once more with int8 uploads.
/// </summary>
public sealed class RoundOverheadSuite : IBenchSuite
{
    private const double TargetRoundSeconds = 1.5;
    private const int Rounds = 6;

    public string Name => "round-overhead";

    public string Description => "seconds per round and coordinator peak RSS with no-op workers, against the 1.5 s / 3x-model targets";

    public async IAsyncEnumerable<BenchRow> RunAsync(BenchContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        long[] sizes = context.Quick ? [100_000] : [1_000_000, 10_000_000, 25_000_000];
        int[] workerCounts = context.Quick ? [2] : [2, 4, 8];
        int rounds = context.Quick ? 2 : Rounds;
        long? baseRss = null;
        var cases = sizes.SelectMany(target => workerCounts.Select(workers => (target, workers, Compression: "none"))).ToList();
        // The target case again with int8 uploads: a quarter of the upload bytes (docs/compression.md).
        cases.Add(context.Quick ? (100_000, 2, "int8") : (10_000_000, 4, "int8"));
        if (context.RoundCases is { } chosen)
        {
            // Only the cases asked for (e.g. the ones measured beside Flower), in that order.
            cases = chosen.Select(c => (c.Parameters, c.Workers, Compression: "none")).ToList();
        }

        foreach (var (target, workers, compression) in cases)
        {
            var (hidden, parameters) = CnnOfSize(target);
            string name = string.Create(CultureInfo.InvariantCulture, $"P={Label(target)} N={workers}")
                + (compression == "none" ? string.Empty : $" {compression} uploads");
            context.Log.WriteLine($"  {name}: {parameters:N0} parameters, {rounds} rounds");
            var federation = new LocalFederation(context, name.Replace(' ', '-').Replace('=', '-'));
            federation.CoordinatorArguments.AddRange([
                "--rounds", Invariant(rounds), "--min-fit-clients", Invariant(workers), "--fraction-fit", "1",
                "--fraction-evaluate", "0", "--test-limit", "64", "--conv", "32,64,64", "--hidden", Invariant(hidden),
                "--local-steps", "1", "--round-timeout", "300", "--update-compression", compression]);
            federation.WorkerArguments.AddRange(["--no-op-training", "--holdout", "0", "--train-limit", "2000", "--threads", "1"]);
            var outcome = await federation.RunAsync(workers, TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);

            double modelMiB = parameters * 4.0 / (1 << 20);
            double rssMiB = outcome.CoordinatorPeakRssBytes / (double)(1 << 20);
            // The fixed base: what the coordinator holds besides models, taken from the smallest model measured.
            baseRss ??= outcome.CoordinatorPeakRssBytes - (3 * parameters * 4L);
            double budgetMiB = (3 * modelMiB) + (baseRss.Value / (double)(1 << 20));
            yield return BenchRow.LowerIsBetter(Name, name, outcome.MedianRoundSeconds(), "s", TargetRoundSeconds, "s (target)");
            yield return BenchRow.LowerIsBetter(Name, name + " peak RSS", rssMiB, "MiB", budgetMiB, "MiB (3x model + base)");
        }
    }

    /// <summary>
    /// A CNN of about <paramref name="target"/> parameters in 10 tensors: three 3×3 conv blocks (32, 64, 64) and a
    /// hidden layer sized to make up the rest (576·H + H + 10·H + 10 of it).
    /// </summary>
    internal static (int Hidden, long Parameters) CnnOfSize(long target)
    {
        const long convParameters = (1 * 32 * 9) + 32 + (32 * 64 * 9) + 64 + (64 * 64 * 9) + 64;
        int hidden = (int)Math.Max(1, (target - convParameters - 10) / 587);
        return (hidden, convParameters + (587L * hidden) + 10);
    }

    /// <summary>A model size as the cases name it: 10M, 100k.</summary>
    internal static string Label(long parameters) =>
        parameters >= 1_000_000 ? Invariant((int)(parameters / 1_000_000)) + "M" : Invariant((int)(parameters / 1000)) + "k";

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
