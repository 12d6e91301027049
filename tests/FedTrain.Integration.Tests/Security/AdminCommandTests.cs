using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Security;

/// <summary><c>fedtrain admin enroll|list|revoke</c> as real processes on a run directory's database.</summary>
public sealed class AdminCommandTests
{
    [Fact]
    public async Task Enroll_list_and_revoke_manage_tokens_without_showing_secrets()
    {
        string dir = RepoPaths.NewRunDirectory("admin");
        string tokenFile = Path.Combine(dir, "w1.enrollment");
        Assert.Equal(0, await RunAsync("admin", "enroll", "--run-dir", dir, "--worker-id", "w1", "--out", tokenFile));
        string token = (await File.ReadAllTextAsync(tokenFile)).Trim();
        Assert.StartsWith("fte_", token, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        }

        using (var list = CliProcess.Start("admin", "list", "--run-dir", dir))
        {
            Assert.Equal(0, await list.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Matches(@"enrollment\s+[0-9a-f]{16}\s+w1\s+.*pending", list.Output);
            Assert.DoesNotContain(token.Split('_', 3)[2], list.Output, StringComparison.Ordinal);
        }

        Assert.Equal(0, await RunAsync("admin", "revoke", "--run-dir", dir, "--worker-id", "w1"));
        using (var list = CliProcess.Start("admin", "list", "--run-dir", dir))
        {
            Assert.Equal(0, await list.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Matches(@"w1\s+.*revoked", list.Output);
        }

        // Client grants: an explicit list, a prefix and count, or the ids a simulation worker registers.
        Assert.Equal(0, await RunAsync("admin", "enroll", "--run-dir", dir, "--worker-id", "w2", "--client", "site-a", "--client", "site-b", "--out", Path.Combine(dir, "w2.enrollment")));
        Assert.Equal(0, await RunAsync("admin", "enroll", "--run-dir", dir, "--worker-id", "w3", "--clients", "50", "--client-prefix", "w3.", "--out", Path.Combine(dir, "w3.enrollment")));
        Assert.Equal(0, await RunAsync("admin", "enroll", "--run-dir", dir, "--worker-id", "w4", "--clients", "10", "--shard", "1/4", "--out", Path.Combine(dir, "w4.enrollment")));
        using (var list = CliProcess.Start("admin", "list", "--run-dir", dir))
        {
            Assert.Equal(0, await list.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Matches(@"w1\s+.*revoked\s+w1\r?\n", list.Output);
            Assert.Matches(@"w2\s+.*pending\s+site-a, site-b", list.Output);
            Assert.Matches(@"w3\s+.*pending\s+50 with prefix w3\.", list.Output);
            Assert.Matches(@"w4\s+.*pending\s+client-00001, client-00005, client-00009", list.Output);
        }

        using (var unclear = CliProcess.Start("admin", "enroll", "--run-dir", dir, "--worker-id", "w5", "--clients", "3"))
        {
            Assert.Equal(2, await unclear.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("--clients N needs --client-prefix P", unclear.Output, StringComparison.Ordinal);
        }

        using var bad = CliProcess.Start("admin", "enroll", "--run-dir", dir, "--worker-id", "no/slashes");
        Assert.Equal(2, await bad.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("worker_id must be", bad.Output, StringComparison.Ordinal);
    }

    private static async Task<int> RunAsync(params string[] arguments)
    {
        using var process = CliProcess.Start(arguments);
        return await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
    }
}
