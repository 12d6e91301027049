using System.Globalization;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Faults;

/// <summary>
/// One small federation for a fault test: a coordinator and two worker processes on loopback, a tiny CNN and a
/// few local steps, so a run of two rounds takes seconds. Faults are armed per process through
/// <c>FEDTRAIN_FAULT</c>; every process started is kept so its output can be checked and it is cleaned up.
/// </summary>
internal sealed class FaultRun : IDisposable
{
    /// <summary>Fault tests run one at a time: on two cores, parallel federations would starve each other's heartbeats.</summary>
    public const string Collection = "fault injection";

    public const int Rounds = 2;
    public const double SamplingRate = 0.5, NoiseMultiplier = 1.0, Delta = 1e-5;

    /// <summary>Clients in a DP run: each of the two workers trains for four of them (<c>--population 8</c>).</summary>
    public const int Population = 8;

    /// <summary>Rounds a quarantined worker sits out: more than the run has, so a quarantine lasts to its end.</summary>
    public const int QuarantineRounds = 5;

    private readonly List<CliProcess> _processes = [];
    private readonly bool _privacy;
    private readonly bool _slowTraining;
    private readonly string? _strategy;

    /// <param name="name">Names the run directory.</param>
    /// <param name="privacy">Runs user-level DP-FedAvg with Poisson sampling over 8 clients.</param>
    /// <param name="workerPort">Where workers connect, when a proxy sits in front of the coordinator.</param>
    /// <param name="slowTraining">Trains the full-size CNN for seconds, so a test can act while workers train.</param>
    /// <param name="federatedEvaluation">Has clients score each new model (off otherwise, to keep runs short).</param>
    /// <param name="quarantineAfterFailures">Quarantines a worker after this many failed assignments in a row (for
    /// <see cref="FaultRun.QuarantineRounds"/> rounds), with one client enough for a round so that quarantine can
    /// really leave a worker out; null keeps the defaults.</param>
    /// <param name="strategy">The server strategy (<c>--strategy</c>); null for FedAvg.</param>
    public FaultRun(
        string name,
        bool privacy = false,
        int? workerPort = null,
        bool slowTraining = false,
        bool federatedEvaluation = false,
        int? quarantineAfterFailures = null,
        string? strategy = null)
    {
        _slowTraining = slowTraining;
        _strategy = strategy;
        Directory = RepoPaths.NewRunDirectory(name);
        Port = FederationTests.FreePort();
        WorkerPort = workerPort ?? Port;
        _privacy = privacy;
        string quarantine = quarantineAfterFailures is { } failures
            ? string.Create(CultureInfo.InvariantCulture, $", \"quarantine_after_failures\": {failures}, \"quarantine_rounds\": {QuarantineRounds}")
            : "";
        // Under DP there is no quorum: every round is one release whatever the number of updates.
        string quorum = privacy ? "" : ", \"quorum_fraction\": 0.5";
        // Liveness is generous: on a loaded two-core machine a healthy worker's heartbeat can lag by seconds.
        File.WriteAllText(ConfigPath, $$"""
            { "heartbeat_interval_seconds": 1, "worker_timeout_seconds": 8, "round_timeout_seconds": 120,
              "evaluation_timeout_seconds": 20, "fraction_evaluate": {{(federatedEvaluation ? 1 : 0)}},
              "test_limit": 200, "min_fit_clients": {{(quarantineAfterFailures is null ? 2 : 1)}}{{quorum}}{{quarantine}} }
            """);
    }

    public string Directory { get; }

    /// <summary>The coordinator's gRPC port.</summary>
    public int Port { get; }

    /// <summary>Where workers connect: the coordinator itself, or a proxy in front of it.</summary>
    public int WorkerPort { get; }

    public List<CliProcess> Coordinators { get; } = [];

    public List<CliProcess> Workers { get; } = [];

    private string ConfigPath => Path.Combine(Directory, "coordinator.json");

    /// <summary>Starts a coordinator on the run's port and waits until it listens.</summary>
    public async Task<CliProcess> StartCoordinatorAsync(string? fault = null, string? database = null)
    {
        var arguments = new List<string>
        {
            "coordinator", "--config", ConfigPath, "--grpc-port", Port.ToString(CultureInfo.InvariantCulture), "--http-port", "0",
            "--bind", "127.0.0.1", "--run-dir", Directory, "--rounds", Rounds.ToString(CultureInfo.InvariantCulture), "--min-workers", "2",
            // Faults, not authentication, are under test here (Security/ covers that).
            "--insecure-no-auth",
        };
        arguments.AddRange(_slowTraining
            ? ["--local-steps", "30", "--batch-size", "32"]
            : ["--local-steps", "4", "--batch-size", "16", "--conv", "4,8", "--hidden", "16"]);
        if (database is not null)
        {
            arguments.AddRange(["--database", database]);
        }

        if (_strategy is not null)
        {
            arguments.AddRange(["--strategy", _strategy]);
        }

        if (_privacy)
        {
            arguments.AddRange([
                "--noise-multiplier", NoiseMultiplier.ToString(CultureInfo.InvariantCulture), "--sampling-rate", SamplingRate.ToString(CultureInfo.InvariantCulture),
                "--clip-norm", "1", "--target-epsilon", "1000", "--delta", Delta.ToString(CultureInfo.InvariantCulture),
                "--population-size", Population.ToString(CultureInfo.InvariantCulture),
            ]);
        }

        var coordinator = Track(CliProcess.Start(Environment(fault), [.. arguments]));
        Coordinators.Add(coordinator);
        await coordinator.WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(90));
        return coordinator;
    }

    /// <summary>Starts worker <paramref name="index"/> (0 or 1) of the two.</summary>
    public CliProcess StartWorker(int index, string? fault = null)
    {
        var arguments = new List<string>
        {
            "worker", "--coordinator", $"http://127.0.0.1:{WorkerPort}", "--worker-id", $"worker-{index + 1}",
            "--shard", $"{index}/2", "--partition", "iid", "--train-limit", "1000", "--threads", "1",
        };
        if (_privacy)
        {
            // Poisson sampling works on clients: give each worker several, so cohorts are rarely empty.
            arguments.AddRange(["--population", Population.ToString(CultureInfo.InvariantCulture)]);
        }

        var worker = Track(CliProcess.Start(Environment(fault), [.. arguments]));
        Workers.Add(worker);
        return worker;
    }

    /// <summary>Waits for a process that armed a fault to kill itself with SIGKILL at it.</summary>
    public static async Task WaitForInjectedCrashAsync(CliProcess process, TimeSpan timeout)
    {
        int exit = await process.WaitForExitAsync(timeout);
        Assert.True(exit == 137, $"expected death by SIGKILL (137), got {exit}:\n{process.Output}");
        Assert.Contains("fault injected", process.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The worker lost the coordinator and found it again by itself: it logged the loss and then worked on. (Whether
    /// it also heard "finished" depends on polling within the coordinator's short grace period, which a loaded
    /// machine can miss; such a worker keeps retrying until its reconnect timeout, so it is not waited for.)
    /// </summary>
    public static void AssertReconnected(CliProcess worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        string output = worker.Output;
        int lost = output.IndexOf("Coordinator unreachable", StringComparison.Ordinal) is >= 0 and int unreachable
            ? unreachable
            : output.IndexOf("reconnecting", StringComparison.Ordinal);
        Assert.True(lost >= 0, "the worker never lost the coordinator:\n" + output);
        Assert.Matches("registered for run|received model version|finished", output[lost..]);
    }

    /// <summary>
    /// Waits for <paramref name="process"/> to exit; when it does not, fails with the tail of every process of the
    /// run, since a stalled coordinator is most often explained by what a worker printed.
    /// </summary>
    public async Task<int> WaitForExitAsync(CliProcess process, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            return await process.WaitForExitAsync(timeout);
        }
        catch (TimeoutException ex)
        {
            var transcript = new System.Text.StringBuilder(ex.Message.Split('\n')[0]).AppendLine();
            for (int i = 0; i < Coordinators.Count; i++)
            {
                transcript.Append(Tail($"coordinator {i + 1}", Coordinators[i]));
            }

            for (int i = 0; i < Workers.Count; i++)
            {
                transcript.Append(Tail($"worker {i + 1}", Workers[i]));
            }

            throw new TimeoutException(transcript.ToString(), ex);
        }
    }

    public void Dispose()
    {
        // Each process's output is kept in the run directory: a failure message shows only the process that failed.
        string logs = Path.Combine(Directory, "logs");
        System.IO.Directory.CreateDirectory(logs);
        for (int i = 0; i < _processes.Count; i++)
        {
            _processes[i].Dispose();
            string kind = Coordinators.Contains(_processes[i]) ? "coordinator" : "worker";
            File.WriteAllText(Path.Combine(logs, string.Create(CultureInfo.InvariantCulture, $"{i:00}-{kind}.log")), _processes[i].Output);
        }
    }

    private static string Tail(string name, CliProcess process)
    {
        string[] lines = process.Output.Split('\n');
        return $"--- {name} (last {Math.Min(lines.Length, 40)} of {lines.Length} lines)\n"
            + string.Join('\n', lines[Math.Max(0, lines.Length - 40)..]) + "\n";
    }

    private static Dictionary<string, string> Environment(string? fault) =>
        fault is null ? [] : new Dictionary<string, string> { ["FEDTRAIN_FAULT"] = fault };

    private CliProcess Track(CliProcess process)
    {
        _processes.Add(process);
        return process;
    }
}
