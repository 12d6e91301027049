using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FedTrain.Coordinator.Storage;
using FedTrain.TestSupport;

namespace FedTrain.Bench.Federation;

/// <summary>
/// One failover: three <c>fedtrain coordinator</c> nodes with membership and the run's state in a fresh database and
/// one run directory, four no-op workers given all three addresses. Right after a worker hears its round-2 update
/// acknowledged, the leading node gets SIGKILL; the times to a surviving node listening, its first accepted upload
/// and its first committed round are taken from the processes' own records, and the run must finish with its rounds
/// contiguous.
/// </summary>
internal sealed partial class FailoverTrial
{
    private const int Nodes = 3, Workers = 4, Rounds = 3, KillRound = 2;
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(4);

    private readonly BenchContext _context;
    private readonly string _directory;
    private readonly string _database;
    private readonly Process?[] _nodes = new Process?[Nodes];
    // When each node's "Coordinator listening" line reached this process (its console shows seconds only), in ticks.
    private readonly long[] _listeningTicks = new long[Nodes];
    private readonly int[] _stoppedLeading = new int[Nodes];
    private int _keptUpdates;

    public FailoverTrial(BenchContext context, PostgresServer server, int trial)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(server);
        _context = context;
        _directory = Path.Combine(context.ScratchDirectory, $"trial-{trial}");
        Directory.CreateDirectory(_directory);
        _database = server.Url(server.CreateDatabase("failover"));
    }

    public async Task<FailoverTimes> RunAsync(CancellationToken cancellationToken)
    {
        string config = Path.Combine(_directory, "coordinator.json");
        await File.WriteAllTextAsync(config, """
            { "heartbeat_interval_seconds": 1, "worker_timeout_seconds": 8, "round_timeout_seconds": 120,
              "fraction_evaluate": 0, "test_limit": 200, "min_fit_clients": 4, "quorum_fraction": 0.5 }
            """, cancellationToken).ConfigureAwait(false);
        int[] grpcPorts = [.. Enumerable.Range(0, Nodes).Select(_ => LocalFederation.FreePort())];
        var workers = new List<Process>();
        try
        {
            for (int i = 0; i < Nodes; i++)
            {
                int node = i;
                _nodes[i] = FedtrainProcess.Start(_context, Path.Combine(_directory, $"node-{i + 1}.log"), [
                    "coordinator", "--config", config, "--grpc-port", Invariant(grpcPorts[i]), "--http-port", "0", "--bind", "127.0.0.1",
                    "--run-dir", _directory, "--rounds", Invariant(Rounds), "--min-workers", Invariant(Workers), "--insecure-no-auth",
                    "--conv", "8", "--hidden", "32", "--local-steps", "1", "--batch-size", "8",
                    "--database", _database, "--cluster", _database, "--cluster-id", "failover",
                    "--silo-port", Invariant(LocalFederation.FreePort())],
                    line => Watch(node, line));
            }

            string addresses = string.Join(',', grpcPorts.Select(p => $"http://127.0.0.1:{p}"));
            for (int i = 0; i < Workers; i++)
            {
                workers.Add(FedtrainProcess.Start(_context, Path.Combine(_directory, $"worker-{i + 1}.out"), [
                    "worker", "--coordinator", addresses, "--worker-id", $"failover-{i + 1}", "--shard", $"{i}/{Workers}",
                    "--partition", "iid", "--train-limit", "800", "--holdout", "0", "--threads", "1", "--no-op-training",
                    "--state-dir", Path.Combine(_directory, $"state-{i + 1}"), "--log", WorkerLog(i)]));
            }

            await UntilAsync(() => Acknowledged().Any(a => a.Round == KillRound), "no worker had a round-2 update acknowledged", cancellationToken)
                .ConfigureAwait(false);
            int leader = await OneLeaderAsync(after: 0, cancellationToken).ConfigureAwait(false);
            long killedTicks = DateTime.UtcNow.Ticks;
            _nodes[leader]!.Kill();

            int successor = await OneLeaderAsync(after: killedTicks, cancellationToken).ConfigureAwait(false);
            var listening = new DateTime(Interlocked.Read(ref _listeningTicks[successor]), DateTimeKind.Utc);
            foreach (var survivor in _nodes.Where((_, i) => i != leader))
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(Generous);
                await survivor!.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
                if (survivor.ExitCode != 0)
                {
                    throw new InvalidOperationException($"A surviving node exited with code {survivor.ExitCode}; logs in {_directory}.");
                }
            }

            var killed = new DateTime(killedTicks, DateTimeKind.Utc);
            var upload = Acknowledged().Where(a => a.At > listening).Select(a => a.At).DefaultIfEmpty().Min();
            if (upload == default)
            {
                throw new InvalidOperationException($"No worker logged an accepted upload after the failover; logs in {_directory}.");
            }

            var committed = await CommittedRoundsAsync().ConfigureAwait(false);
            var next = committed.FirstOrDefault(r => r.At > killed);
            if (next == default)
            {
                throw new InvalidOperationException($"No round was committed after the kill; logs in {_directory}.");
            }

            return new FailoverTimes(
                next.Round, Volatile.Read(ref _keptUpdates), (listening - killed).TotalSeconds, (upload - killed).TotalSeconds, (next.At - killed).TotalSeconds);
        }
        finally
        {
            foreach (var process in _nodes.OfType<Process>().Concat(workers))
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                process.Dispose();
            }
        }
    }

    private void Watch(int node, string line)
    {
        if (line.StartsWith("Coordinator listening", StringComparison.Ordinal))
        {
            Interlocked.Exchange(ref _listeningTicks[node], DateTime.UtcNow.Ticks);
        }
        else if (line.Contains("stopped leading the run", StringComparison.Ordinal))
        {
            Interlocked.Exchange(ref _stoppedLeading[node], 1);
        }
        else if (ResumedLine().Match(line) is { Success: true } resumed)
        {
            Volatile.Write(ref _keptUpdates, int.Parse(resumed.Groups[1].Value, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Waits until exactly one running node has said it listens since <paramref name="after"/> (ticks) and has not
    /// lost the run's lease since: nodes starting together may both listen until the lease settles it.
    /// </summary>
    private async Task<int> OneLeaderAsync(long after, CancellationToken cancellationToken)
    {
        int leader = -1;
        await UntilAsync(
            () =>
            {
                var leading = Enumerable.Range(0, Nodes).Where(i => !_nodes[i]!.HasExited && Interlocked.Read(ref _listeningTicks[i]) > after
                    && Volatile.Read(ref _stoppedLeading[i]) == 0).ToList();
                leader = leading.Count == 1 ? leading[0] : -1;
                return leader >= 0;
            },
            "not exactly one node led the run",
            cancellationToken).ConfigureAwait(false);
        return leader;
    }

    private async Task UntilAsync(Func<bool> condition, string failure, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(Generous.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > until || _nodes.All(n => n!.HasExited))
            {
                throw new TimeoutException($"Failover trial: {failure}; logs in {_directory}.");
            }

            // Short: the kill is to land right after the acknowledgement, while round 2's other uploads are in flight.
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every accepted upload the workers logged, with the worker's own millisecond timestamp (UTC).</summary>
    private List<(long Round, DateTime At)> Acknowledged()
    {
        var accepted = new List<(long, DateTime)>();
        for (int i = 0; i < Workers; i++)
        {
            if (!File.Exists(WorkerLog(i)))
            {
                continue;
            }

            using var reader = new StreamReader(new FileStream(WorkerLog(i), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            while (reader.ReadLine() is { } line)
            {
                if (AcceptedLine().Match(line) is { Success: true } match)
                {
                    accepted.Add((long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), DateTime.ParseExact(
                        match.Groups[1].Value, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture,
                        DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)));
                }
            }
        }

        return accepted;
    }

    /// <summary>
    /// The run's rounds with their commit times from the database (<c>committed_at</c>, to the tick), after checking
    /// that <c>summary.json</c> says the run finished with rounds 1 to <see cref="Rounds"/> each committed once.
    /// </summary>
    private async Task<List<(long Round, DateTime At)>> CommittedRoundsAsync()
    {
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, "summary.json")))
            ?? throw new InvalidOperationException("summary.json is empty.");
        long[] numbers = [.. summary["rounds"]!.AsArray().Select(r => (long)r!["round"]!)];
        if ((string?)summary["status"] != "finished" || !numbers.SequenceEqual(Enumerable.Range(1, Rounds).Select(r => (long)r)))
        {
            throw new InvalidOperationException(
                $"The run did not finish with contiguous rounds (status {summary["status"]}, rounds {string.Join(',', numbers)}); logs in {_directory}.");
        }

        using var store = CoordinatorStoreFactory.Open(_database, _directory);
        var run = await store.LoadRunAsync().ConfigureAwait(false) ?? throw new InvalidOperationException("The database holds no run.");
        return [.. (await store.LoadRoundsAsync(run.RunId).ConfigureAwait(false)).Select(r => (r.Round, At: r.CommittedAt.UtcDateTime)).OrderBy(r => r.At)];
    }

    private string WorkerLog(int worker) => Path.Combine(_directory, $"worker-{worker + 1}.log");

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    // The worker's file log: "2026-12-07T15:20:01.123Z Information WorkerAgent: Round 2, client-3: train loss ... accepted True".
    [GeneratedRegex(@"^(\S+Z) .*Round (\d+), \S+: train loss .* accepted True")]
    private static partial Regex AcceptedLine();

    [GeneratedRegex(@"Round \d+ resumes with (\d+) updates kept")]
    private static partial Regex ResumedLine();
}
