using System.CommandLine;
using System.Globalization;
using FedTrain.Cli.Logging;
using FedTrain.Coordinator;
using FedTrain.Coordinator.Cluster;
using FedTrain.Coordinator.Hosting;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Security;
using FedTrain.Coordinator.Storage;
using FedTrain.Core.Data;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace FedTrain.Cli.Commands;

/// <summary>
/// <c>fedtrain demo</c>: a local federation on 127.0.0.1, a coordinator in this process and N worker processes,
/// each holding one shard of Fashion-MNIST, with live progress per round and <c>DIR/summary.json</c> at the end.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var workers = new Option<int>("--workers") { Description = "Worker processes to start.", DefaultValueFactory = _ => 4 };
        var output = new Option<string>("--out") { Description = "Run directory (summary.json, checkpoints, logs).", DefaultValueFactory = _ => "runs/demo" };
        var partition = new Option<string>("--partition") { Description = "iid or dirichlet:ALPHA.", DefaultValueFactory = _ => "dirichlet:0.5" };
        var clients = new Option<int?>("--clients") { Description = "Simulated data owners spread over the workers (default: one per worker)." };
        var byzantine = new Option<double?>("--byzantine") { Description = "Test harness: fraction of workers that poison their updates." };
        var attack = new Option<string?>("--attack") { Description = "Test harness: the poison, sign-flip (default), scale:K, gaussian or same-value." };
        var dpSgd = new Option<string?>("--dp-sgd") { Description = "Record-level DP on every worker: DP-SGD with CLIP,NOISE (e.g. 1.0,1.1)." };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only the first N training images (split across workers)." };
        var holdout = new Option<double?>("--holdout") { Description = "Fraction of each client's data held out for its local evaluation (default 0.1)." };
        var threads = new Option<int?>("--threads-per-worker") { Description = "libtorch threads per worker (default: cores / workers)." };
        var data = new Option<string?>("--data") { Description = $"The data split over the workers (default {FashionMnist.DefaultDirectory}, or {TextCorpus.FortunesDirectory} for --model lm); formats: {Core.Data.Formats.DataFormats.Summary}. A table or image folder also gives the test set (a seeded fifth) unless --test-data names one." };
        var flags = new CoordinatorFlags();
        var dataFlags = new DataFlags();
        var command = new Command("demo", "Train a CNN or ViT on Fashion-MNIST (or an image folder), an MLP on a CSV or Parquet table, or a byte-level language model on Debian's fortunes, with a local federation of worker processes.");
        foreach (var option in new Option[] { workers, output, partition, clients, byzantine, attack, dpSgd, trainLimit, holdout, threads, data })
        {
            command.Options.Add(option);
        }

        flags.AddTo(command);
        dataFlags.AddTo(command, withSplit: false);
        command.SetAction(async (parse, cancellationToken) =>
        {
            int workerCount = parse.GetValue(workers);
            if (workerCount < 1)
            {
                throw new ArgumentException("--workers must be at least 1.");
            }

            if (parse.GetValue(clients) is { } clientCount && clientCount < workerCount)
            {
                throw new ArgumentException($"--clients ({clientCount}) must be at least --workers ({workerCount}).");
            }

            var scheme = PartitionScheme.Parse(parse.GetValue(partition)!);
            double byzantineFraction = parse.GetValue(byzantine) ?? 0;
            if (!(byzantineFraction is >= 0 and < 1))
            {
                throw new ArgumentException($"--byzantine must be a fraction in [0, 1), got {byzantineFraction}.");
            }

            string attackSpec = Core.Robust.ByzantineAttack.Parse(parse.GetValue(attack) ?? "sign-flip").Spec;
            int poisoned = (int)Math.Ceiling(byzantineFraction * workerCount);
            var options = DemoDefaults(workerCount, parse.GetValue(output)!, parse.GetValue(data) ?? FashionMnist.DefaultDirectory);
            flags.Apply(parse, options);
            if (options.Privacy is { Population: null } privacy)
            {
                // The demo knows its federation: M is the number of clients it simulates.
                privacy.Population = parse.GetValue(clients) ?? workerCount;
            }

            string dataDirectory = parse.GetValue(data) ?? ModelData.DefaultDirectory(options.Model);
            ulong seed = flags.Seed(parse) ?? options.Seed;
            var contract = new Core.Data.Formats.DataContract(null, dataFlags.Classes(parse)) { Normalization = dataFlags.Normalization(parse) };
            var dataArguments = DemoData.Prepare(
                options, dataFlags.Read(parse, dataDirectory, seed), contract, options.TestDataDirectory != dataDirectory, cancellationToken)
                .Concat(dataFlags.Forward(parse)).ToList();
            // A table switched the model to the MLP and its training preset: the training flags given still win.
            flags.ApplyTraining(parse, options);
            options.ImageNormalization = contract.Normalization;
            options.Validate();
            await RefuseFinishedRunAsync(options.RunDirectory, options.Database, options.DatabasePasswordFile, cancellationToken).ConfigureAwait(false);
            // Each worker may register exactly the clients it simulates (with --clients), or itself.
            int? population = parse.GetValue(clients);
            if (population is { } total)
            {
                // The demo's operator asked for this many clients per worker; the cap must not refuse its own simulation.
                int perWorker = (total + workerCount - 1) / workerCount;
                options.Security.Limits.MaxClientsPerWorker = Math.Max(options.Security.Limits.MaxClientsPerWorker, perWorker);
            }

            var enrolment = await DemoEnrolment.PrepareAsync(options.RunDirectory, options.Database, options.DatabasePasswordFile, Enumerable.Range(0, workerCount).Select(i =>
                ($"worker-{i + 1}", population is { } m ? ClientGrant.Explicit(Worker.LocalData.ClientIds(m, i, workerCount)) : (ClientGrant?)null)), cancellationToken)
                .ConfigureAwait(false);
            int workerThreads = parse.GetValue(threads) ?? Math.Max(1, Environment.ProcessorCount / workerCount);
            string logDirectory = Path.Combine(options.RunDirectory, "logs");
            Core.Files.PrivateFiles.CreateDirectory(logDirectory);

            using var fileLogs = new FileLoggerProvider(Path.Combine(logDirectory, "coordinator.log"), LogLevel.Information);
            using var loggerFactory = LoggerFactory.Create(builder =>
            {
                builder.AddFedTrainDefaults().AddProvider(fileLogs);
                builder.AddSimpleConsole(o => o.SingleLine = true).AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(level => level >= LogLevel.Warning);
            });
            // One node with localhost clustering: the run grain activates here at once and this node leads.
            await using var node = await CoordinatorNode.StartAsync(options, new ClusterSettings(), loggerFactory, cancellationToken);
            var host = await node.Leadership.WhenLeadingAsync(cancellationToken);
            AnsiConsole.MarkupLine(
                $"[bold]FedTrain demo[/]: {workerCount} workers, {options.Rounds} rounds, partition {scheme}, model {options.Model.ToNativeSpec().EscapeMarkup()}");
            AnsiConsole.MarkupLine($"Strategy {(options.Privacy?.Describe() ?? host.Orchestrator.StrategyDescription).EscapeMarkup()}"
                + (poisoned > 0 ? $"; [red]{poisoned} of {workerCount} workers send {attackSpec.EscapeMarkup()} updates[/]" : string.Empty));
            AnsiConsole.MarkupLine($"Coordinator on 127.0.0.1:{host.GrpcPort} (gRPC); live page http://127.0.0.1:{host.HttpPort}/; logs in {logDirectory.EscapeMarkup()}");
            AnsiConsole.MarkupLine($"Operator token (Authorization: Bearer) for the HTTP API in {host.OperatorTokenPath?.EscapeMarkup()}");
            host.Orchestrator.RoundStarted += (round, selected) => AnsiConsole.MarkupLine(host.Orchestrator.DisclosesClients
                ? $"[grey]round {round}: training {selected.Count} clients...[/]"
                : $"[grey]round {round}: training (DP: the sampled cohort is not disclosed)...[/]");
            host.Orchestrator.RoundCommitted += round => PrintRound(round, options.Model.IsLanguageModel);
            if (host.Orchestrator.DisclosesClients)
            {
                host.Service.UpdateRejected += (client, round, reason) =>
                    AnsiConsole.MarkupLine($"[yellow]round {round}: rejected update for {client.EscapeMarkup()}: {reason.EscapeMarkup()}[/]");
            }

            if (options.Privacy is { } plan)
            {
                foreach (string line in PrivacyPlan.Describe(plan, host.Orchestrator.Manifest.TotalElements, options.FractionEvaluate > 0, options.Rounds))
                {
                    AnsiConsole.MarkupLine(line.EscapeMarkup());
                }
            }

            var processes = new List<WorkerProcess>();
            try
            {
                for (int i = 0; i < workerCount; i++)
                {
                    string id = $"worker-{i + 1}";
                    var arguments = new List<string>
                    {
                        "--coordinator", $"http://127.0.0.1:{host.GrpcPort}",
                        "--worker-id", id,
                        "--data", dataDirectory,
                        "--shard", $"{i}/{workerCount}",
                        "--partition", scheme.ToString(),
                        "--seed", (flags.Seed(parse) ?? options.Seed).ToString(CultureInfo.InvariantCulture),
                        "--threads", workerThreads.ToString(CultureInfo.InvariantCulture),
                        "--log", Path.Combine(logDirectory, id + ".log"),
                        "--state-dir", Path.Combine(options.RunDirectory, "state", id),
                    };
                    if (options.Model.IsLanguageModel)
                    {
                        arguments.AddRange(["--text-window", options.Model.InputShape.Width.ToString(CultureInfo.InvariantCulture)]);
                    }

                    arguments.AddRange(dataArguments);
                    arguments.AddRange(enrolment[id]);
                    if (parse.GetValue(dpSgd) is { } dpSgdSpec)
                    {
                        arguments.AddRange(["--dp-sgd", dpSgdSpec]);
                    }

                    if (options.Model.ModuleSha256 is { } moduleSha256)
                    {
                        // The demo's owner chose this module (--torchscript): its workers trust exactly it.
                        arguments.AddRange(["--trust-module", moduleSha256]);
                    }

                    if (i < poisoned)
                    {
                        arguments.AddRange(["--attack", attackSpec]);
                    }

                    if (population is { } simulated)
                    {
                        arguments.AddRange(["--population", simulated.ToString(CultureInfo.InvariantCulture)]);
                    }

                    if (parse.GetValue(holdout) is { } heldOut)
                    {
                        arguments.AddRange(["--holdout", heldOut.ToString(CultureInfo.InvariantCulture)]);
                    }

                    if (parse.GetValue(trainLimit) is { } limit)
                    {
                        arguments.AddRange(["--train-limit", limit.ToString(CultureInfo.InvariantCulture)]);
                    }

                    processes.Add(WorkerProcess.Start(id, arguments));
                }

                // A worker that cannot start (bad data folder, missing library) must not leave the demo waiting.
                var allExited = Task.WhenAll(processes.Select(p => p.WaitForExitAsync(cancellationToken)));
                if (await Task.WhenAny(host.Completion, allExited) != host.Completion && !host.Orchestrator.IsFinished)
                {
                    AnsiConsole.MarkupLine($"[bold red]All worker processes exited before the run finished[/]; see {logDirectory.EscapeMarkup()}.");
                    return 1;
                }

                try
                {
                    await host.Completion;
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
                {
                    // The run ended without finishing (e.g. rounds kept missing their quorum); its rounds are committed.
                    AnsiConsole.MarkupLine($"[bold red]The run failed[/]: {ex.Message.EscapeMarkup()}");
                }
            }
            finally
            {
                foreach (var process in processes)
                {
                    process.Dispose();
                }
            }

            var committed = host.Orchestrator.CommittedRounds;
            string summary = Path.Combine(options.RunDirectory, "summary.json");
            AnsiConsole.MarkupLine(committed.Count > 0
                ? $"[bold green]Done[/]: {committed.Count} rounds, final test accuracy {committed[^1].TestAccuracy:F4}"
                    + (options.Model.IsLanguageModel ? string.Create(CultureInfo.InvariantCulture, $", perplexity {Math.Exp(committed[^1].TestLoss):F2}") : string.Empty)
                    + $". Summary: {summary.EscapeMarkup()}"
                : $"[bold red]No round completed[/]: {host.Orchestrator.FinishReason?.EscapeMarkup()}");
            if (committed.Count < options.Rounds && host.Orchestrator.FinishReason is { } why)
            {
                AnsiConsole.MarkupLine($"Stopped early: {why.EscapeMarkup()}");
            }

            bool failed = !host.Orchestrator.IsFinished || host.Orchestrator.HasFailed;
            return committed.Count > 0 && !failed ? 0 : 1;
        });
        return command;
    }

    /// <summary>An interrupted run in DIR resumes; a finished one is never overwritten.</summary>
    private static async Task RefuseFinishedRunAsync(string runDirectory, string? configured, string? passwordFile, CancellationToken cancellationToken)
    {
        if (configured is null && !File.Exists(Path.Combine(runDirectory, CoordinatorStoreFactory.DefaultFileName)))
        {
            return;
        }

        using var store = CoordinatorStoreFactory.Open(configured, runDirectory, passwordFile);
        if (await store.LoadRunAsync(cancellationToken).ConfigureAwait(false) is { Status: not "running" } run)
        {
            throw new ArgumentException(
                $"{runDirectory} already holds a {run.Status} run ({run.RunId}); pass another --out or remove that folder.");
        }
    }

    private static CoordinatorOptions DemoDefaults(int workers, string output, string dataDirectory) => new()
    {
        BindAddress = "127.0.0.1",
        GrpcPort = 0,
        HttpPort = 0,
        RunDirectory = output,
        MinWorkers = workers,
        MinFitClients = Math.Max(1, workers / 2),
        TestDataDirectory = dataDirectory,
        FinishGracePeriod = TimeSpan.FromSeconds(3),
    };

    private static void PrintRound(RoundResult result, bool languageModel)
    {
        string perplexity = languageModel && Coordinator.Reporting.RunSummaryWriter.Perplexity(result.TestLoss) is { } p
            ? string.Create(CultureInfo.InvariantCulture, $"  perplexity [green]{p:F2}[/]")
            : string.Empty;
        string failures = result.Failures.Count == 0 ? string.Empty : $" [yellow]({result.Failures.Count} failed)[/]";
        string participants = result.ClientDetailWithheld
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $"  participants {result.Participants.Count}/{result.Selected}");
        string epsilon = result.Epsilon is { } e ? string.Create(CultureInfo.InvariantCulture, $"  epsilon {e:F3}") : string.Empty;
        string skipped = result.SkipReason is { } reason ? $" [yellow](skipped: {reason.EscapeMarkup()})[/]" : string.Empty;
        string fairness = result.Fairness is { } f
            ? string.Create(CultureInfo.InvariantCulture, $"  clients{(f.NoiseStandardDeviation is null ? "" : " (DP histogram)")}: mean {f.AccuracyMean:F3}, worst 10% {f.AccuracyP10:F3}, Jain {f.JainIndex:F3}")
            : string.Empty;
        AnsiConsole.MarkupLine(string.Create(
            CultureInfo.InvariantCulture,
            $"[bold]round {result.Round,3}[/]  test accuracy [green]{result.TestAccuracy:F4}[/]  loss {result.TestLoss:F4}{perplexity}{participants}  {result.DurationSeconds,6:F1} s{epsilon}{fairness}{failures}{skipped}"));
    }
}
