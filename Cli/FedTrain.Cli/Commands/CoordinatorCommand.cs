using System.CommandLine;
using FedTrain.Coordinator;
using FedTrain.Cli.Logging;
using FedTrain.Coordinator.Hosting;
using Microsoft.Extensions.Logging;

namespace FedTrain.Cli.Commands;

/// <summary><c>fedtrain coordinator</c>: serve a run to workers that connect over gRPC.</summary>
internal static class CoordinatorCommand
{
    public static Command Create()
    {
        var grpcPort = new Option<int?>("--grpc-port") { Description = "gRPC port for workers (default 50051)." };
        var httpPort = new Option<int?>("--http-port") { Description = "HTTP port for status and health (default 8080)." };
        var bind = new Option<string?>("--bind") { Description = "Address to bind (default 0.0.0.0)." };
        var config = new Option<FileInfo?>("--config") { Description = "JSON configuration file; flags override it." };
        var runDir = new Option<string?>("--run-dir") { Description = "Folder for the database, checkpoints and summary.json." };
        var minWorkers = new Option<int?>("--min-workers") { Description = "Workers to wait for before round 1." };
        var flags = new CoordinatorFlags();
        var command = new Command("coordinator", "Run a coordinator that trains a global model with the workers that connect.");
        foreach (var option in new Option[] { grpcPort, httpPort, bind, config, runDir, minWorkers })
        {
            command.Options.Add(option);
        }

        flags.AddTo(command);
        var dataFlags = new DataFlags();
        dataFlags.AddTo(command, withSplit: true);
        var security = new SecurityFlags();
        security.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new CoordinatorOptions();
            if (parse.GetValue(config) is { } file)
            {
                CoordinatorConfigFile.Load(file.FullName).ApplyTo(options);
            }

            options.GrpcPort = parse.GetValue(grpcPort) ?? options.GrpcPort;
            options.HttpPort = parse.GetValue(httpPort) ?? options.HttpPort;
            options.BindAddress = parse.GetValue(bind) ?? options.BindAddress;
            options.RunDirectory = parse.GetValue(runDir) ?? options.RunDirectory;
            options.MinWorkers = parse.GetValue(minWorkers) ?? options.MinWorkers;
            flags.Apply(parse, options);
            ApplyTestData(parse, dataFlags, options);
            security.Apply(parse, options);
            options.Validate();

            using var loggerFactory = LoggerFactory.Create(builder => builder.AddFedTrainDefaults().AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            }));
            await using var host = await CoordinatorHost.StartAsync(options, loggerFactory, cancellationToken);
            Console.WriteLine($"Coordinator listening: gRPC {options.BindAddress}:{host.GrpcPort}, HTTP {options.BindAddress}:{host.HttpPort}; run {host.Orchestrator.RunId} in {options.RunDirectory}");
            if (options.Privacy is { } privacy)
            {
                foreach (string line in PrivacyPlan.Describe(privacy, host.Orchestrator.Manifest.TotalElements, options.FractionEvaluate > 0, options.Rounds))
                {
                    Console.WriteLine(line);
                }
            }

            if (host.OperatorTokenPath is { } tokenPath)
            {
                Console.WriteLine($"Operator token for the HTTP API: {tokenPath}");
            }

            try
            {
                await host.Completion.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine("Stopping; committed rounds are kept and the run resumes on restart.");
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                Console.Error.WriteLine($"fedtrain: the run failed: {ex.Message}");
                return 1;
            }

            return host.Orchestrator.IsFinished && host.Orchestrator.FinishReason?.StartsWith("failed", StringComparison.Ordinal) != true ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// A test set that is not IDX or text (an image folder, a table, arrays) is read like a worker's data, with the run's
    /// class names; the IDX and text test sets keep their own loader.
    /// </summary>
    private static void ApplyTestData(ParseResult parse, DataFlags dataFlags, CoordinatorOptions options)
    {
        options.ClassNames = dataFlags.Classes(parse) ?? options.ClassNames;
        options.ImageNormalization = dataFlags.Normalization(parse) ?? options.ImageNormalization;
        var source = dataFlags.Read(parse, options.TestDataDirectory, options.Seed);
        options.FeatureNames = source.FeatureColumns ?? options.FeatureNames;
        if (source.Format is null && !Path.Exists(options.TestDataDirectory))
        {
            return; // the IDX loader's message names what to install or pass
        }

        var format = source.Format ?? Core.Data.Formats.DataFormats.Detect(options.TestDataDirectory, options.Model.IsLanguageModel);
        if (format is not (Core.Data.Formats.DataFormat.Idx or Core.Data.Formats.DataFormat.Text))
        {
            options.TestDataSource = source with { Format = format };
        }
    }
}
