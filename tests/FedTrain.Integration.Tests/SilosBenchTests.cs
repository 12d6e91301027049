using System.Globalization;
using System.Text.RegularExpressions;
using FedTrain.Integration.Tests.Support;
using FedTrain.TestSupport;

namespace FedTrain.Integration.Tests;

/// <summary>
/// The silos suite in its --quick mode (1, 2 and 3 nodes, four no-op workers) through the real command, so that it
/// keeps working and counts what it says: the bytes between nodes are the leader's folded partial sums times the
/// model, fewer than the updates the other nodes received. It starts its own PostgreSQL server; the shared one only
/// decides whether the machine can run one at all.
/// </summary>
[Collection(Faults.FaultRun.Collection)]
public sealed partial class SilosBenchTests : IRequiresPostgres
{
    [BackendFact]
    public async Task The_quick_silos_suite_counts_one_partial_sum_per_other_node_and_fewer_bytes_than_reading_each_update()
    {
        var (rows, output) = await QuickBench.RunAsync("bench-silos", TimeSpan.FromMinutes(6), "silos");
        Assert.Equal(["S=1 N=4 P=100k", "S=2 N=4 P=100k", "S=3 N=4 P=100k"], rows.Where(r => (string)r["unit"]! == "rounds/min").Select(r => (string)r["case"]!));

        var counted = Counted().Matches(output).ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal([1, 2, 3], counted.Keys.Order());
        foreach (int silos in new[] { 2, 3 })
        {
            var counts = counted[silos].Groups;
            double partialSums = Parse(counts[2]), fallbacks = Parse(counts[3]), elsewhere = Parse(counts[4]), modelMiB = Parse(counts[5]) / (1 << 20);
            var bytes = Assert.Single(rows, r => (string)r["case"]! == $"S={silos} N=4 P=100k between nodes per round");

            // Every other node got some of each round's four uploads and gave its sum: nothing was read update by update.
            Assert.Equal(silos - 1, partialSums);
            Assert.Equal(0, fallbacks);
            // The progress line shows four significant digits.
            Assert.Equal(partialSums * modelMiB, (double)bytes["value"]!, 1e-3 * partialSums * modelMiB);
            Assert.Equal(elsewhere * modelMiB, (double)bytes["reference"]!, 1e-3 * elsewhere * modelMiB);
            Assert.True(elsewhere > partialSums, $"{silos} nodes: the other nodes received {elsewhere} updates per round, summed in {partialSums}");
            Assert.True((double)bytes["value"]! < (double)bytes["reference"]!, bytes.ToJsonString());
        }
    }

    private static double Parse(Group group) => double.Parse(group.Value, CultureInfo.InvariantCulture);

    // The suite's progress line per node count, e.g. "S=2: 290 rounds/min; per round 1 partial sums folded, 0 updates
    // read from another node's spool, 2 updates received by the other nodes; model 399116 bytes".
    [GeneratedRegex(@"S=(\d+): \S+ rounds/min; per round (\S+) partial sums folded, (\S+) updates read from another node's spool, (\S+) updates received by the other nodes; model (\d+) bytes")]
    private static partial Regex Counted();
}
