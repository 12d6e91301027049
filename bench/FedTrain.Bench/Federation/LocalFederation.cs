using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace FedTrain.Bench.Federation;

/// <summary>
/// A coordinator and N worker processes of the <c>fedtrain</c> executable on loopback, as an operator would run
/// them, watched from outside: the coordinator's peak resident memory is sampled from <c>/proc</c>, and the
/// committed rounds are read back from its <c>summary.json</c>.
/// </summary>
internal sealed class LocalFederation
{
    private readonly BenchContext _context;
    private readonly string _runDirectory;

    public LocalFederation(BenchContext context, string name)
    {
        _context = context;
        _runDirectory = Path.Combine(context.ScratchDirectory, name);
        Directory.CreateDirectory(_runDirectory);
    }

    /// <summary>Coordinator flags beyond ports, run folder and worker count (rounds, model, strategy...).</summary>
    public List<string> CoordinatorArguments { get; } = [];

    /// <summary>Flags every worker gets beyond its address, id and shard.</summary>
    public List<string> WorkerArguments { get; } = [];

    /// <summary>Runs the federation to its end and returns what it committed; throws when the run fails or stalls.</summary>
    public async Task<FederationOutcome> RunAsync(int workers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        int grpcPort = FreePort(), httpPort = FreePort();
        using var coordinator = Start("coordinator", [
            "coordinator", "--bind", "127.0.0.1", "--grpc-port", Invariant(grpcPort), "--http-port", Invariant(httpPort),
            "--run-dir", _runDirectory, "--min-workers", Invariant(workers),
            // What orchestration costs is measured here, on loopback; enrolment is measured by nothing in it.
            "--insecure-no-auth", .. CoordinatorArguments]);
        var workerProcesses = new List<Process>();
        try
        {
            for (int i = 0; i < workers; i++)
            {
                workerProcesses.Add(Start($"worker-{i}", [
                    "worker", "--coordinator", $"http://127.0.0.1:{grpcPort}", "--worker-id", $"bench-{i}",
                    "--shard", $"{i}/{workers}", "--state-dir", Path.Combine(_runDirectory, $"state-{i}"), .. WorkerArguments]));
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            long peakRss = 0;
            var started = Stopwatch.GetTimestamp();
            while (!coordinator.HasExited)
            {
                peakRss = Math.Max(peakRss, PeakResidentBytes(coordinator.Id));
                try
                {
                    await Task.Delay(100, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"The benchmark federation did not finish within {timeout}; logs in {_runDirectory}.");
                }
            }

            double wallSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (coordinator.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"The benchmark coordinator exited with code {coordinator.ExitCode}: {Tail(Path.Combine(_runDirectory, "coordinator.log"))}");
            }

            var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_runDirectory, "summary.json"), cancellationToken).ConfigureAwait(false))
                ?? throw new InvalidOperationException("summary.json is empty.");
            return new FederationOutcome(summary["rounds"]!.AsArray().Select(r => r!.AsObject()).ToList(), peakRss, wallSeconds);
        }
        finally
        {
            foreach (var worker in workerProcesses)
            {
                if (!worker.HasExited)
                {
                    worker.Kill(entireProcessTree: true);
                }

                worker.Dispose();
            }

            if (!coordinator.HasExited)
            {
                coordinator.Kill(entireProcessTree: true);
            }
        }
    }

    private Process Start(string name, IEnumerable<string> arguments) =>
        FedtrainProcess.Start(_context, Path.Combine(_runDirectory, $"{name}.log"), arguments);

    /// <summary>VmHWM, the process's peak resident set so far, in bytes; 0 once the process is gone.</summary>
    internal static long PeakResidentBytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Tail(string path) =>
        File.Exists(path) ? string.Join(Environment.NewLine, File.ReadLines(path).TakeLast(5)) : "(no log)";

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The committed rounds of a benchmark federation, its coordinator's peak RSS and its wall time.</summary>
internal sealed record FederationOutcome(IReadOnlyList<JsonObject> Rounds, long CoordinatorPeakRssBytes, double WallSeconds)
{
    /// <summary>Median <c>duration_seconds</c> over the rounds after the first (which also pays start-up costs).</summary>
    public double MedianRoundSeconds()
    {
        var steady = Rounds.Skip(Rounds.Count > 1 ? 1 : 0).Select(r => (double)r["duration_seconds"]!).Order().ToList();
        return BenchStatistics.Median(steady);
    }
}
