using System.Globalization;
using System.Runtime.CompilerServices;
using FedTrain.Bench.Federation;
using FedTrain.TestSupport;

namespace FedTrain.Bench.Suites;

/// <summary>
/// The cluster's intake as it grows: for each count S of coordinator nodes (1, 2 and 3 unless chosen), one run on a
/// fresh database and run directory of one throwaway PostgreSQL server, with a fixed set of no-op workers and a model
/// big enough that bytes dominate. Rounds per minute against one node's, and the bytes per round that cross from the
/// other nodes to the leading one (the partial sums it folds, plus any updates it had to read from another node's
/// share of the spool) against what would cross without per-node sums (every update the other nodes received). The
/// first grows with nodes × model, the second with clients × model.
/// </summary>
public sealed class SilosSuite : IBenchSuite
{
    private const int Workers = 8, Rounds = 6, QuickWorkers = 4, QuickRounds = 3;
    private const long Parameters = 10_000_000, QuickParameters = 100_000;
    private static readonly int[] DefaultSilos = [1, 2, 3];

    public string Name => "silos";

    public string Description =>
        "1, 2, 3 (--silos) coordinator nodes on PostgreSQL with uploads spread over them: rounds per minute against one node's, and MiB per round "
        + "crossing between nodes against the updates the leader would read across without per-node sums "
        + "(all nodes share one machine's cores here, so the rate shows no gain from more nodes; the bytes are the point)";

    public async IAsyncEnumerable<BenchRow> RunAsync(BenchContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        int workers = context.Quick ? QuickWorkers : Workers, rounds = context.Quick ? QuickRounds : Rounds;
        long target = context.Quick ? QuickParameters : Parameters;
        var (hidden, parameters) = RoundOverheadSuite.CnnOfSize(target);
        var measured = new List<SiloTraffic>();
        // One server for every count, stopped and deleted however the runs end; each run gets its own database.
        using (var server = PostgresServer.Start())
        {
            foreach (int silos in context.SiloCounts ?? DefaultSilos)
            {
                context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  S={silos}: {workers} no-op workers, {parameters:N0} parameters, {rounds} rounds"));
                var traffic = await new SiloTrial(context, server, silos, workers, rounds, hidden, parameters).RunAsync(cancellationToken).ConfigureAwait(false);
                context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  S={silos}: {traffic.RoundsPerMinute:F1} rounds/min; per round {traffic.PartialSums:G4} partial sums folded, {traffic.FallbackUpdates:G4} updates read from another node's spool, {traffic.UpdatesElsewhere:G4} updates received by the other nodes; model {traffic.ModelBytes} bytes"));
                measured.Add(traffic);
            }
        }

        // Rates are judged against one node's; where --silos leaves one node out, against the first count run.
        var baseline = measured.FirstOrDefault(t => t.Silos == 1) ?? measured[0];
        string baselineUnit = string.Create(CultureInfo.InvariantCulture, $"rounds/min ({baseline.Silos} node{(baseline.Silos == 1 ? string.Empty : "s")})");
        foreach (var traffic in measured)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"S={traffic.Silos} N={workers} P={RoundOverheadSuite.Label(target)}");
            yield return BenchRow.HigherIsBetter(Name, name, traffic.RoundsPerMinute, "rounds/min", baseline.RoundsPerMinute, baselineUnit);
            if (traffic.Silos > 1)
            {
                // One node moves nothing between nodes, which no ratio describes; its row is the rate alone.
                yield return BenchRow.LowerIsBetter(
                    Name, name + " between nodes per round", traffic.CrossingBytes / (1 << 20), "MiB", traffic.UnsummedBytes / (1 << 20), "MiB (updates read across)");
            }
        }
    }
}
