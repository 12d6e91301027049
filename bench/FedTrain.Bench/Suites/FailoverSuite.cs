using System.Globalization;
using System.Runtime.CompilerServices;
using FedTrain.Bench.Federation;
using FedTrain.TestSupport;

namespace FedTrain.Bench.Suites;

/// <summary>
/// Failover of a three-node coordinator cluster on PostgreSQL: SIGKILL of the leading node during round 2's uploads,
/// then the time to a surviving node listening, to the next accepted upload and to the next committed round, over N
/// trials (each a fresh database and run on one throwaway server). Median and max of each against the 5 s target
/// for the kill to the next accepted upload.
/// </summary>
public sealed class FailoverSuite : IBenchSuite
{
    private const int DefaultTrials = 5;
    private const double TargetSeconds = 5;

    public string Name => "failover";

    public string Description => "kill -9 of the leading node of 3: seconds to a successor, the next accepted upload and the next committed round, against the 5 s target";

    public async IAsyncEnumerable<BenchRow> RunAsync(BenchContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        int trials = context.Quick ? 1 : context.FailoverTrials ?? DefaultTrials;
        var times = new List<FailoverTimes>();
        // One server for all trials, stopped and deleted however they end; each trial gets its own database.
        using (var server = PostgresServer.Start())
        {
            for (int trial = 1; trial <= trials; trial++)
            {
                var measured = await new FailoverTrial(context, server, trial).RunAsync(cancellationToken).ConfigureAwait(false);
                context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  trial {trial}/{trials}: killed in round {measured.KilledInRound} ({measured.KeptUpdates} of its updates kept); successor listening {measured.ListeningSeconds:F3} s, next accepted upload {measured.UploadSeconds:F3} s, next committed round {measured.CommitSeconds:F3} s"));
                times.Add(measured);
            }
        }

        string over = string.Create(CultureInfo.InvariantCulture, $"of {trials}");
        foreach (var (metric, select) in new (string, Func<FailoverTimes, double>)[]
        {
            ("kill to successor listening", t => t.ListeningSeconds),
            ("kill to next accepted upload", t => t.UploadSeconds),
            ("kill to next committed round", t => t.CommitSeconds),
        })
        {
            var values = times.Select(select).Order().ToList();
            yield return BenchRow.LowerIsBetter(Name, $"{metric} (median {over})", BenchStatistics.Median(values), "s", TargetSeconds, "s (upload target)");
            yield return BenchRow.LowerIsBetter(Name, $"{metric} (max {over})", values[^1], "s", TargetSeconds, "s (upload target)");
        }
    }
}
