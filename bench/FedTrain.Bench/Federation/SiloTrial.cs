using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using FedTrain.Coordinator.Storage;
using FedTrain.TestSupport;

namespace FedTrain.Bench.Federation;

/// <summary>
/// One run on a cluster of S <c>fedtrain coordinator</c> nodes with membership and the run's state in a fresh database
/// and one run directory, and a fixed set of no-op workers given every node's address. With more than one node, each
/// has an intake port: the first node is started alone so that it leads, the others join once it listens, and the
/// workers start once the leader has heard each node's advert, so that every round is dealt over all of them. What
/// crossed between the nodes is counted from their own logs: the leader's folded partial sums and fallbacks, the
/// other nodes' received updates.
/// </summary>
internal sealed partial class SiloTrial
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(6);

    // Adverts are sent once per keep-alive interval (1 s): after two, the leader knows every node before round 1 is
    // dealt. Only round 1 would suffer from a late one, and it is left out of every figure anyway.
    private static readonly TimeSpan AdvertsHeard = TimeSpan.FromSeconds(2);

    private readonly BenchContext _context;
    private readonly int _silos, _workers, _rounds, _hidden;
    private readonly long _modelBytes;
    private readonly string _directory;
    private readonly string _database;
    private readonly Process?[] _nodes;
    private readonly ConcurrentQueue<string>[] _lines;
    // When each node first said it listens for workers (it leads the run), in UTC ticks; 0 while it has not.
    private readonly long[] _listeningTicks;

    /// <param name="hidden">The CNN's hidden width, which sets the model's size (see <c>RoundOverheadSuite.CnnOfSize</c>).</param>
    /// <param name="parameters">The model's parameters at that width.</param>
    public SiloTrial(BenchContext context, PostgresServer server, int silos, int workers, int rounds, int hidden, long parameters)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(server);
        _context = context;
        (_silos, _workers, _rounds, _hidden, _modelBytes) = (silos, workers, rounds, hidden, parameters * sizeof(float));
        _directory = Path.Combine(context.ScratchDirectory, $"silos-{silos}");
        Directory.CreateDirectory(_directory);
        _database = server.Url(server.CreateDatabase("silos"));
        _nodes = new Process?[silos];
        _lines = [.. Enumerable.Range(0, silos).Select(_ => new ConcurrentQueue<string>())];
        _listeningTicks = new long[silos];
    }

    public async Task<SiloTraffic> RunAsync(CancellationToken cancellationToken)
    {
        string config = Path.Combine(_directory, "coordinator.json");
        await File.WriteAllTextAsync(config, """
            { "heartbeat_interval_seconds": 1, "worker_timeout_seconds": 8, "round_timeout_seconds": 120, "fraction_evaluate": 0 }
            """, cancellationToken).ConfigureAwait(false);
        int[] grpcPorts = [.. Enumerable.Range(0, _silos).Select(_ => LocalFederation.FreePort())];
        var workers = new List<Process>();
        try
        {
            StartNode(0, grpcPorts[0], config);
            await UntilAsync(() => Said(0, "Coordinator listening"), "the first node did not lead the run", cancellationToken).ConfigureAwait(false);
            for (int i = 1; i < _silos; i++)
            {
                StartNode(i, grpcPorts[i], config);
            }

            if (_silos > 1)
            {
                await UntilAsync(
                    () => Enumerable.Range(1, _silos - 1).All(i => Said(i, "Receiving uploads for the leading node at")),
                    "not every other node received uploads",
                    cancellationToken).ConfigureAwait(false);
                await Task.Delay(AdvertsHeard, cancellationToken).ConfigureAwait(false);
            }

            string addresses = string.Join(',', grpcPorts.Select(p => $"http://127.0.0.1:{p}"));
            for (int i = 0; i < _workers; i++)
            {
                workers.Add(FedtrainProcess.Start(_context, Path.Combine(_directory, $"worker-{i + 1}.log"), [
                    "worker", "--coordinator", addresses, "--worker-id", $"silos-{i + 1}", "--shard", $"{i}/{_workers}",
                    "--partition", "iid", "--train-limit", "800", "--holdout", "0", "--threads", "1", "--no-op-training",
                    "--state-dir", Path.Combine(_directory, $"state-{i + 1}")]));
            }

            // The other nodes leave the cluster on their own once they hear that the run finished; their leaving is no
            // part of what is measured, and everything they did for the run was logged before the leader closed its
            // last round, so they are stopped (below) once the leader is done.
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                deadline.CancelAfter(Generous);
                await _nodes[0]!.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }

            if (_nodes[0]!.ExitCode != 0)
            {
                throw new InvalidOperationException($"The leading node exited with code {_nodes[0]!.ExitCode}; logs in {_directory}.");
            }

            return await CountAsync().ConfigureAwait(false);
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

    private void StartNode(int node, int grpcPort, string config)
    {
        List<string> arguments = [
            "coordinator", "--config", config, "--grpc-port", Invariant(grpcPort), "--http-port", "0", "--bind", "127.0.0.1",
            "--run-dir", _directory, "--rounds", Invariant(_rounds), "--min-workers", Invariant(_workers), "--insecure-no-auth",
            "--min-fit-clients", Invariant(_workers), "--fraction-fit", "1", "--test-limit", "64",
            "--conv", "32,64,64", "--hidden", Invariant(_hidden), "--local-steps", "1", "--update-compression", "none",
            // One node still runs as a cluster (membership and the run in PostgreSQL), so that only the spread differs.
            "--database", _database, "--cluster", _database, "--cluster-id", "silos",
            "--silo-port", Invariant(LocalFederation.FreePort())];
        if (_silos > 1)
        {
            arguments.AddRange(["--intake-port", "0"]);
        }

        _nodes[node] = FedtrainProcess.Start(_context, Path.Combine(_directory, $"node-{node + 1}.log"), arguments, line => Watch(node, line));
    }

    private void Watch(int node, string line)
    {
        if (line.StartsWith("Coordinator listening", StringComparison.Ordinal))
        {
            Interlocked.CompareExchange(ref _listeningTicks[node], DateTime.UtcNow.Ticks, 0);
        }

        _lines[node].Enqueue(line);
    }

    /// <summary>
    /// Per steady round: the sums and fallbacks the leader logged, by the node they came from, and the updates each
    /// other node logged as received; the rate from the rounds' commit times in the database.
    /// </summary>
    private async Task<SiloTraffic> CountAsync()
    {
        using var store = CoordinatorStoreFactory.Open(_database, _directory);
        var run = await store.LoadRunAsync().ConfigureAwait(false) ?? throw new InvalidOperationException("The database holds no run.");
        var committed = (await store.LoadRoundsAsync(run.RunId).ConfigureAwait(false)).OrderBy(r => r.Round).ToList();
        if (run.Status != "finished" || !committed.Select(r => r.Round).SequenceEqual(Enumerable.Range(1, _rounds).Select(r => (long)r)))
        {
            throw new InvalidOperationException(
                $"The run did not finish with contiguous rounds (status {run.Status}, rounds {string.Join(',', committed.Select(r => r.Round))}); logs in {_directory}.");
        }

        // Once the leader has left, another node may take the finished run's lease on its way out; before the last
        // commit, it would have led rounds whose sums this count reads from the first node's log only.
        if (Enumerable.Range(1, _silos - 1).Select(i => Interlocked.Read(ref _listeningTicks[i]))
            .Any(ticks => ticks != 0 && new DateTime(ticks, DateTimeKind.Utc) <= committed[^1].CommittedAt.UtcDateTime))
        {
            throw new InvalidOperationException($"The lead moved off the first node during the run, which this count does not follow; logs in {_directory}.");
        }

        var steady = committed.Skip(1).ToList();
        double minutes = (steady[^1].CommittedAt - committed[0].CommittedAt).TotalMinutes;
        var steadyRounds = steady.Select(r => r.Round).ToHashSet();

        var received = new Dictionary<(int Node, long Round), int>();
        for (int node = 1; node < _silos; node++)
        {
            foreach (string line in _lines[node])
            {
                if (ReceivedLine().Match(line) is { Success: true } match)
                {
                    var key = (node, long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
                    received[key] = received.GetValueOrDefault(key) + 1;
                }
            }
        }

        int sums = 0, fallbacks = 0;
        foreach (string line in _lines[0])
        {
            if (FoldedLine().Match(line) is { Success: true } folded && steadyRounds.Contains(long.Parse(folded.Groups[1].Value, CultureInfo.InvariantCulture)))
            {
                sums++;
            }
            else if (FallbackLine().Match(line) is { Success: true } fallback
                && long.Parse(fallback.Groups[1].Value, CultureInfo.InvariantCulture) is var round && steadyRounds.Contains(round))
            {
                fallbacks += received.GetValueOrDefault((NodeOf(int.Parse(fallback.Groups[2].Value, CultureInfo.InvariantCulture)), round));
            }
        }

        int elsewhere = received.Where(r => steadyRounds.Contains(r.Key.Round)).Sum(r => r.Value);
        double rounds = steady.Count;
        return new SiloTraffic(_silos, steady.Count, rounds / minutes, sums / rounds, fallbacks / rounds, elsewhere / rounds, _modelBytes);
    }

    /// <summary>The node of the process the leader names ("HOST pid N").</summary>
    private int NodeOf(int pid) =>
        Array.FindIndex(_nodes, n => n!.Id == pid) is var node and >= 0
            ? node
            : throw new InvalidOperationException($"The leader names a node (pid {pid}) this trial did not start; logs in {_directory}.");

    private bool Said(int node, string text) => _lines[node].Any(l => l.Contains(text, StringComparison.Ordinal));

    private async Task UntilAsync(Func<bool> condition, string failure, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(Generous.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > until || _nodes.OfType<Process>().Any(n => n.HasExited))
            {
                throw new TimeoutException($"Silos trial: {failure}; logs in {_directory}.");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    // Event 230 of a node receiving for the leader: "Received client-3's update (worker w-3) for round 2, 100 examples, for the leading node".
    [GeneratedRegex(@"Received \S+'s update \(worker \S+\) for round (\d+), .* for the leading node")]
    private static partial Regex ReceivedLine();

    // Event 121 of the leader: "Round 2: folded node HOST pid 1234's partial sum of 3 updates".
    [GeneratedRegex(@"Round (\d+): folded node .*'s partial sum of \d+ updates")]
    private static partial Regex FoldedLine();

    // Event 122 of the leader: "Round 2: no partial sum from node HOST pid 1234 (REASON); reading its updates from the shared spool".
    [GeneratedRegex(@"Round (\d+): no partial sum from node .* pid (\d+) \(")]
    private static partial Regex FallbackLine();
}
