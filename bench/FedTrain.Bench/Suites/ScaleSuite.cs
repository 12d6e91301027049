using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using FedTrain.Bench.Federation;

namespace FedTrain.Bench.Suites;

/// <summary>
/// A simulated population of 10,000 clients over 4 worker processes, cohorts of 1,000 per round, one real local
/// step of a small CNN per client. Rounds per minute against the rate local training alone would allow (the
/// busiest worker's summed training time per round), and coordinator peak RSS against the same federation with a
/// population of 100, to show what the population itself costs.
/// </summary>
public sealed class ScaleSuite : IBenchSuite
{
    public string Name => "scale";

    public string Description => "rounds per minute and coordinator memory with 10,000 simulated clients, cohorts of 1,000";

    public async IAsyncEnumerable<BenchRow> RunAsync(BenchContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        int population = context.Quick ? 200 : 10_000, cohort = population / 10, workers = context.Quick ? 2 : 4, rounds = context.Quick ? 2 : 5;
        string name = string.Create(CultureInfo.InvariantCulture, $"clients={population} cohort={cohort}");
        context.Log.WriteLine($"  small population (100 clients) for the memory reference");
        var small = await RunAsync(context, "small", 100, 10, workers, 2, cancellationToken).ConfigureAwait(false);
        context.Log.WriteLine($"  {name}: {workers} worker processes, {rounds} rounds");
        var large = await RunAsync(context, "large", population, cohort, workers, rounds, cancellationToken).ConfigureAwait(false);

        var steady = large.Rounds.Skip(1).ToList();
        double roundSeconds = steady.Average(r => (double)r["duration_seconds"]!);
        double trainingBoundSeconds = steady.Average(BusiestWorkerTrainingSeconds);
        yield return BenchRow.HigherIsBetter(Name, name, 60 / roundSeconds, "rounds/min", 60 / trainingBoundSeconds, "rounds/min (training alone)");
        yield return BenchRow.LowerIsBetter(
            Name, name + " peak RSS", large.CoordinatorPeakRssBytes / (double)(1 << 20), "MiB",
            small.CoordinatorPeakRssBytes / (double)(1 << 20), "MiB (100 clients)");
    }

    private static async Task<FederationOutcome> RunAsync(
        BenchContext context, string label, int population, int cohort, int workers, int rounds, CancellationToken cancellationToken)
    {
        // Every simulated client costs its worker two calls (metrics, upload), and without authentication all the
        // workers on loopback share one caller's allowance: the default 200 calls/s would cap the run at 100
        // clients/s and measure the limiter. An operator simulating a population raises it the same way.
        string config = Path.Combine(context.ScratchDirectory, $"scale-{label}.json");
        await File.WriteAllTextAsync(
            config, """{"security": {"limits": {"requests_per_second": 1000000, "request_burst": 1000000}}}""", cancellationToken).ConfigureAwait(false);
        var federation = new LocalFederation(context, label);
        federation.CoordinatorArguments.AddRange([
            "--config", config,
            "--rounds", Invariant(rounds), "--fraction-fit", Invariant(cohort / (double)population), "--min-fit-clients", Invariant(cohort),
            "--fraction-evaluate", "0", "--test-limit", "256", "--conv", "8", "--hidden", "32",
            "--local-steps", "1", "--batch-size", "8", "--round-timeout", "600"]);
        federation.WorkerArguments.AddRange(["--population", Invariant(population), "--holdout", "0", "--threads", "1"]);
        return await federation.RunAsync(workers, TimeSpan.FromMinutes(15), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Seconds the busiest worker spent in local training during one round (clients train one after another).</summary>
    private static double BusiestWorkerTrainingSeconds(JsonObject round) =>
        round["clients"]!.AsArray()
            .GroupBy(c => (string)c!["worker_id"]!)
            .Max(g => g.Sum(c => (double)c!["step_seconds"]!));

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
