using System.CommandLine;
using FedTrain.Cli.Logging;
using FedTrain.Core.Data;
using FedTrain.Telemetry;
using FedTrain.Worker;
using FedTrain.Worker.Security;
using Microsoft.Extensions.Logging;

namespace FedTrain.Cli.Commands;

/// <summary><c>fedtrain worker</c>: train on local data for a coordinator.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var coordinator = new Option<string>("--coordinator")
        {
            Description = "Coordinator gRPC address, e.g. http://127.0.0.1:50051; for a coordinator cluster, every node's address, comma-separated (the worker uses the node that leads the run).",
            Required = true,
        };
        var workerId = new Option<string?>("--worker-id") { Description = "Stable worker identity (default: host-pid)." };
        var data = new Option<string?>("--data") { Description = $"This worker's data, a folder or file (default {FashionMnist.DefaultDirectory}); formats: {Core.Data.Formats.DataFormats.Summary}." };
        var model = new Option<string?>("--model") { Description = "The run's model spec (e.g. kind=mlp;in=4;hidden=64,64;classes=3): the data is checked against its input shape and classes before the worker registers." };
        var shard = new Option<string?>("--shard") { Description = "Keep shard I of N of the data, written I/N (0-based)." };
        var partition = new Option<string?>("--partition") { Description = "How shards are split: iid or dirichlet:ALPHA." };
        var population = new Option<int?>("--population") { Description = "Simulated clients over all workers: worker I of N trains for clients I, I+N, ..." };
        var seed = new Option<ulong?>("--seed") { Description = "Partition seed; the same on every worker of a federation." };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only the first N training images." };
        var textWindow = new Option<int?>("--text-window") { Description = "Language models: --data is a folder of text files read as windows of N bytes (context length + 1)." };
        var holdout = new Option<double?>("--holdout") { Description = "Fraction of the shard held out for local evaluation (default 0.1)." };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (default: all cores)." };
        var device = new Option<string?>("--device") { Description = "auto (default: CUDA when usable, else CPU), cpu, cuda or cuda:N." };
        var attack = new Option<string?>("--attack") { Description = "Test harness: poison every update (sign-flip, scale:K, gaussian, same-value)." };
        var dpSgd = new Option<string?>("--dp-sgd") { Description = "Record-level DP: train with DP-SGD, written CLIP,NOISE (e.g. 1.0,1.1)." };
        var dpSgdDelta = new Option<double?>("--dp-sgd-delta") { Description = "Delta of the record-level (epsilon, delta) reported (default 1e-5)." };
        var stateDir = new Option<string?>("--state-dir") { Description = "Folder for state that must survive restarts (the DP-SGD privacy ledger); default ~/.local/state/fedtrain/WORKER-ID." };
        var noOpTraining = new Option<bool>("--no-op-training") { Description = "Benchmarks only: skip training and send a fixed delta, to measure orchestration alone." };
        var log = new Option<string?>("--log") { Description = "Append logs to this file instead of the console." };
        var command = new Command("worker", "Run a worker: train the coordinator's model on local data.");
        foreach (var option in new Option[] { coordinator, workerId, data, model, shard, partition, population, seed, trainLimit, textWindow, holdout, threads, device, attack, dpSgd, dpSgdDelta, stateDir, noOpTraining, log })
        {
            command.Options.Add(option);
        }

        var dataFlags = new DataFlags();
        dataFlags.AddTo(command, withSplit: true);
        var security = new WorkerSecurityFlags();
        security.AddTo(command);
        var trustedModules = new TrustedModuleFlags();
        trustedModules.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new WorkerOptions
            {
                Coordinators = [.. parse.GetValue(coordinator)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(address =>
                    Uri.TryCreate(address, UriKind.Absolute, out var uri)
                        ? uri
                        : throw new ArgumentException($"--coordinator must be a URL such as http://127.0.0.1:50051 (or several, comma-separated), got '{address}'."))],
            };
            options.WorkerId = parse.GetValue(workerId) ?? options.WorkerId;
            options.DataDirectory = parse.GetValue(data) ?? options.DataDirectory;
            if (parse.GetValue(shard) is { } shardText)
            {
                (options.ShardIndex, options.ShardCount) = ParseShard(shardText);
            }

            options.Partition = parse.GetValue(partition) is { } p ? PartitionScheme.Parse(p) : options.Partition;
            options.PartitionSeed = parse.GetValue(seed) ?? options.PartitionSeed;
            options.Population = parse.GetValue(population);
            options.TrainLimit = parse.GetValue(trainLimit) ?? options.TrainLimit;
            options.TextWindow = parse.GetValue(textWindow);
            options.HoldoutFraction = parse.GetValue(holdout) ?? options.HoldoutFraction;
            options.Threads = parse.GetValue(threads) ?? options.Threads;
            options.Attack = parse.GetValue(attack) is { } attackSpec ? Core.Robust.ByzantineAttack.Parse(attackSpec) : null;
            options.DpSgd = parse.GetValue(dpSgd) is { } dpText ? ParseDpSgd(dpText) : null;
            options.DpSgdDelta = parse.GetValue(dpSgdDelta) ?? options.DpSgdDelta;
            options.FixedDeltaTraining = parse.GetValue(noOpTraining);
            options.TrustedModules = trustedModules.Read(parse);
            options.DataSource = dataFlags.Read(parse, options.DataDirectory, options.PartitionSeed);
            options.Contract = new Core.Data.Formats.DataContract(parse.GetValue(model) is { } spec ? Core.Models.ModelSpec.Parse(spec) : null, dataFlags.Classes(parse))
            {
                Normalization = dataFlags.Normalization(parse),
            };
            options.StateDirectory = parse.GetValue(stateDir)
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "fedtrain", options.WorkerId);
            options.Validate();
            // Before the data loads: a worker that would send its secret in clear text stops here, naming --insecure.
            var securityOptions = security.Read(parse);
            securityOptions.Validate();
            foreach (var address in options.Coordinators)
            {
                securityOptions.RequireSafeTransport(address);
            }

            using var loggerFactory = parse.GetValue(log) is { } logPath
                ? LoggerFactory.Create(b => b.AddFedTrainDefaults().AddProvider(new Logging.FileLoggerProvider(logPath, LogLevel.Information)))
                : LoggerFactory.Create(b => b.AddFedTrainDefaults().AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss.fff ";
                }));
            // Before the data loads and the worker registers: an unusable --device cuda stops here, with the reason.
            options.Device = DeviceSelection.Resolve(parse.GetValue(device) ?? "auto", loggerFactory.CreateLogger("FedTrain.Worker.Device"));
            var logger = loggerFactory.CreateLogger<WorkerAgent>();
            try
            {
                using var connection = await WorkerConnection.CreateAsync(options, securityOptions, logger, cancellationToken);
                // Tables, image folders and arrays are read by the run's contract: without --model the worker asks the
                // coordinator for it (flags given here still win), so the owner need not repeat the run's settings.
                if (parse.GetValue(model) is null && options.TextWindow is null
                    && RunContract.Interprets(options.DataSource.Format ?? Core.Data.Formats.DataFormats.Detect(options.DataDirectory)))
                {
                    options.Contract = options.Contract.Over(await RunContract.FetchAsync(options, connection.ChannelOptions, logger, cancellationToken));
                }

                // Before registering: data that fails the run's contract stops here, named, and nothing is trained on it.
                var localData = LocalData.Load(options, cancellationToken);
                if (localData.Source is { } source)
                {
                    DataLog.Loaded(logger, options.DataDirectory, Core.Data.Formats.DataFormats.Name(source.Format), source.Examples.Count, source.ClassNames.Count, source.Skipped.Count,
                        source.Examples.IsLazy ? "read on demand (--cache-mb)" : "held in memory");
                }

                using var agent = new WorkerAgent(options, localData, logger, connection.ChannelOptions);
                // Declared after the agent so that it is disposed first: the last export still sees the agent's meter.
                using var telemetry = TelemetryProviders.Start(
                    FedTrainInstruments.WorkerMeter, "fedtrain-worker", options.WorkerId, TelemetrySettings.FromEnvironment());
                await agent.RunAsync(cancellationToken);
                return 0;
            }
            catch (Grpc.Core.RpcException ex) when (ex.StatusCode is Grpc.Core.StatusCode.Unauthenticated or Grpc.Core.StatusCode.PermissionDenied)
            {
                // Retrying cannot help: the operator must enrol this worker (again).
                Console.Error.WriteLine($"fedtrain: the coordinator refused worker {options.WorkerId} ({ex.StatusCode}): enrol it with 'fedtrain admin enroll' and pass --enrollment-token-file.");
                return 3;
            }
        });
        return command;
    }

    private static Trainer.DpSgdOptions ParseDpSgd(string text)
    {
        var parts = text.Split(',');
        if (parts.Length == 2
            && double.TryParse(parts[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double clip)
            && double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double noise)
            && double.IsFinite(clip) && clip > 0 && double.IsFinite(noise) && noise > 0)
        {
            return new Trainer.DpSgdOptions(clip, noise);
        }

        throw new ArgumentException($"--dp-sgd must be CLIP,NOISE with both positive, got '{text}'.");
    }

    private static (int Index, int Count) ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int index) && int.TryParse(parts[1], out int count) && count > 0 && index >= 0 && index < count)
        {
            return (index, count);
        }

        throw new ArgumentException($"--shard must be I/N with 0 <= I < N, got '{text}'.");
    }
}
