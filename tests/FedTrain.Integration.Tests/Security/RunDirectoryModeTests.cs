using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Security;

/// <summary>After a real demo, its run directory and every folder in it are 0700 and every file is 0600.</summary>
public sealed class RunDirectoryModeTests
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = PrivateFile | UnixFileMode.UserExecute;

    [Fact]
    public async Task A_demo_with_simulated_clients_leaves_only_owner_readable_files()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string dir = RepoPaths.NewRunDirectory("modes");
        // Simulated clients: each worker is enrolled for the clients it simulates, and registers them.
        using var demo = CliProcess.Start(
        [
            "demo", "--workers", "2", "--clients", "4", "--rounds", "1", "--out", dir, "--partition", "iid",
            "--train-limit", "2000", "--test-limit", "300", "--local-steps", "5",
        ]);
        Assert.True(await demo.WaitForExitAsync(TimeSpan.FromMinutes(4)) == 0, demo.Output);

        var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories);
        // Every kind of file must be there to be checked: updates, checkpoints, the records, logs and secrets.
        Assert.Contains(files, f => f.EndsWith(Path.Combine("checkpoints", "round-0001.safetensors"), StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("summary.json", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("clients.csv", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(Path.Combine("logs", "worker-1.log"), StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("worker-2.credential", StringComparison.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(dir, "spool")));
        if (!TestDatabase.IsPostgres)
        {
            Assert.Contains(files, f => f.EndsWith("coordinator.db", StringComparison.Ordinal));
        }

        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(dir));
        var wrong = new List<string>();
        foreach (string folder in Directory.GetDirectories(dir, "*", SearchOption.AllDirectories))
        {
            if (File.GetUnixFileMode(folder) != PrivateDirectory)
            {
                wrong.Add($"{folder}: {File.GetUnixFileMode(folder)}");
            }
        }

        foreach (string file in files)
        {
            if (File.GetUnixFileMode(file) != PrivateFile)
            {
                wrong.Add($"{file}: {File.GetUnixFileMode(file)}");
            }
        }

        Assert.Empty(wrong);
        Assert.Contains("client-00003", await File.ReadAllTextAsync(Path.Combine(dir, "clients.csv")), StringComparison.Ordinal);
    }
}
