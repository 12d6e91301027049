using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>
/// The aggregate, transfer and memory suites in --quick mode through the real command: they keep working and
/// report sane rows. No timing is asserted.
/// </summary>
public sealed class PerformanceBenchTests
{
    [Fact]
    public async Task Aggregate_transfer_and_memory_suites_report_their_figures_against_references()
    {
        var (rows, _) = await QuickBench.RunAsync("bench-perf", TimeSpan.FromMinutes(8), "aggregate", "transfer", "memory");
        Assert.Equal(
            ["aggregate", "aggregate", .. Enumerable.Repeat("transfer", 9), "memory"],
            rows.Select(r => (string)r["suite"]!));

        Assert.Equal(["N=4 P=1M", "N=4 P=1M from spool files"], rows.Take(2).Select(r => (string)r["case"]!));
        Assert.Equal(
            [
                "download 8 MB", "plain HTTP/2 8 MB", "upload 8 MB",
                "download 8 MB, 256 KiB chunks", "upload 8 MB, 256 KiB chunks", "download 8 MB, 1024 KiB chunks",
                "upload 8 MB, 1024 KiB chunks", "download 8 MB, 3072 KiB chunks", "upload 8 MB, 3072 KiB chunks",
            ],
            rows.Skip(2).Take(9).Select(r => (string)r["case"]!));
        var memory = rows[11];
        Assert.Equal("MB", (string)memory["unit"]!);
        // Lower is better for memory: the ratio is the bound over the peak.
        Assert.Equal((double)memory["reference"]! / (double)memory["value"]!, (double)memory["ratio"]!, 9);
    }
}
