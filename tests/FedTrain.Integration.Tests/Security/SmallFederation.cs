using System.Globalization;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// A real coordinator process and two enrolled worker processes on loopback, on a small subset: a federation for
/// an attack to run against. The coordinator's log is its captured output.
/// </summary>
internal sealed class SmallFederation : IDisposable
{
    private readonly List<CliProcess> _workers;

    private SmallFederation(string directory, int port, CliProcess coordinator, List<CliProcess> workers)
    {
        Directory = directory;
        Port = port;
        Coordinator = coordinator;
        _workers = workers;
    }

    public string Directory { get; }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    public CliProcess Coordinator { get; }

    public static async Task<SmallFederation> StartAsync(string name, int rounds)
    {
        string dir = RepoPaths.NewRunDirectory(name);
        int port = FederationTests.FreePort();
        var enrolment = await WorkerEnrolment.PrepareAsync(dir, "worker-1", "worker-2");
        var coordinator = CliProcess.Start(
            "coordinator", "--grpc-port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "0", "--bind", "127.0.0.1",
            "--run-dir", dir, "--rounds", rounds.ToString(CultureInfo.InvariantCulture), "--min-workers", "2", "--min-fit-clients", "2",
            "--test-limit", "300", "--local-steps", "20", "--fraction-evaluate", "0");
        await coordinator.WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(90));
        var workers = new List<CliProcess>();
        for (int i = 0; i < 2; i++)
        {
            workers.Add(CliProcess.Start([
                "worker", "--coordinator", $"http://127.0.0.1:{port}", "--worker-id", $"worker-{i + 1}", "--shard", $"{i}/2",
                "--partition", "iid", "--train-limit", "2000", "--threads", "1", .. enrolment[$"worker-{i + 1}"]]));
        }

        return new SmallFederation(dir, port, coordinator, workers);
    }

    /// <summary>Waits until round <paramref name="round"/> is committed.</summary>
    public Task WaitForRoundAsync(int round) => Coordinator.WaitForOutputAsync($"Round {round} committed", TimeSpan.FromMinutes(5));

    /// <summary>The coordinator's resident set size now, from /proc.</summary>
    public long CoordinatorRssBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{Coordinator.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("No VmRSS in /proc status.");
    }

    /// <summary>The coordinator's CPU time so far (user + system), from /proc.</summary>
    public double CoordinatorCpuSeconds()
    {
        string stat = File.ReadAllText($"/proc/{Coordinator.Id}/stat");
        // Fields after the command name (which may hold spaces): state is field 3, utime 14 and stime 15, in clock ticks.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>Waits for the run to end and returns its rounds' durations in seconds, by round; fails unless all <paramref name="rounds"/> were committed.</summary>
    public async Task<double[]> FinishAsync(int rounds)
    {
        int exit = await Coordinator.WaitForExitAsync(TimeSpan.FromMinutes(8));
        Assert.True(exit == 0, Coordinator.Output);
        var committed = RunSummary.Rounds(RunSummary.Load(Directory));
        Assert.Equal(Enumerable.Range(1, rounds), committed.Select(r => r.GetProperty("round").GetInt32()));
        Assert.All(committed, r => Assert.Equal(2, r.GetProperty("participants").GetInt32()));
        return [.. committed.Select(r => r.GetProperty("duration_seconds").GetDouble())];
    }

    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }

        Coordinator.Dispose();
    }
}
