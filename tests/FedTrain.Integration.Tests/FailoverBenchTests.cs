using FedTrain.Integration.Tests.Support;
using FedTrain.TestSupport;

namespace FedTrain.Integration.Tests;

/// <summary>
/// The failover suite in its --quick mode (one trial) through the real command, so that it keeps working. It starts
/// its own PostgreSQL server; the shared one only decides whether the machine can run one at all.
/// </summary>
[Collection(Faults.FaultRun.Collection)]
public sealed class FailoverBenchTests : IRequiresPostgres
{
    [BackendFact]
    public async Task The_quick_failover_suite_writes_a_median_and_a_max_row_for_each_measure()
    {
        var (rows, output) = await QuickBench.RunAsync("bench-failover", TimeSpan.FromMinutes(6), "failover");
        Assert.Equal(
            ["kill to next accepted upload", "kill to next committed round", "kill to successor listening"],
            rows.Select(r => ((string)r["case"]!).Split(" (")[0]).Distinct().Order());
        Assert.Equal(6, rows.Count);
        Assert.Contains("trial 1/1: killed in round 2", output, StringComparison.Ordinal);
    }
}
