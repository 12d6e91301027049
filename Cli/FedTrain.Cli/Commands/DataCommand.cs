using System.CommandLine;
using FedTrain.Core.Data;
using FedTrain.Core.Data.Formats;
using FedTrain.Core.Models;
using FedTrain.Trainer;
using Microsoft.Extensions.Logging;

namespace FedTrain.Cli.Commands;

/// <summary>
/// <c>fedtrain data inspect</c>: shows a data owner what a worker would train on and what would leave the machine,
/// reading the data exactly as the worker does and checking it against the run's model, without contacting anyone.
/// </summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Look at a data owner's data as a worker would read it.");
        command.Subcommands.Add(InspectCommand());
        return command;
    }

    private static Command InspectCommand()
    {
        var data = new Option<string>("--data") { Description = $"The data, a folder or file; formats: {DataFormats.Summary}.", Required = true };
        var model = new Option<string?>("--model") { Description = "The run's model spec to check the data against (default: the zoo model that fits the data: mlp for rows, cnn for images, lm for text)." };
        var coordinator = new Option<string?>("--coordinator") { Description = "Fetch the run's model, classes, feature names and normalisation from this coordinator (GetRunSpec), with the worker's credential; instead of --model and --classes." };
        var workerId = new Option<string?>("--worker-id") { Description = "With --coordinator: the worker whose credential the call presents (default: the host name)." };
        var holdout = new Option<double?>("--holdout") { Description = "Fraction held out for local evaluation, as the worker's --holdout (default 0.1)." };
        var dpSgd = new Option<string?>("--dp-sgd") { Description = "As the worker's --dp-sgd CLIP,NOISE: report what DP-SGD changes in what is sent." };
        var command = new Command("inspect", "Print what the worker would train on (examples, classes, input, skipped files, first rows) and what leaves the machine per round; contacts no one unless --coordinator is given.");
        foreach (var option in new Option[] { data, model, coordinator, workerId, holdout, dpSgd })
        {
            command.Options.Add(option);
        }

        var flags = new DataFlags();
        flags.AddTo(command, withSplit: true);
        var security = new WorkerSecurityFlags();
        security.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(data)!;
            var spec = parse.GetValue(model) is { } text ? ModelSpec.Parse(text) : null;
            var contract = new DataContract(spec, flags.Classes(parse)) { Normalization = flags.Normalization(parse) };
            if (parse.GetValue(coordinator) is { } coordinatorText)
            {
                var address = Uri.TryCreate(coordinatorText, UriKind.Absolute, out var parsed)
                    ? parsed
                    : throw new ArgumentException($"--coordinator must be an http:// or https:// URL, got '{coordinatorText}'.");
                if (spec is not null)
                {
                    throw new ArgumentException("Give either --model or --coordinator: the coordinator's run spec names the model.");
                }

                contract = contract.Over(await FetchContractAsync(address, parse.GetValue(workerId) ?? Environment.MachineName, security.Read(parse), cancellationToken));
                spec = contract.Model;
            }

            var source = flags.Read(parse, path, seed: 42);
            var loaded = spec?.IsLanguageModel == true || (source.Format ?? DataFormats.Detect(path)) == DataFormat.Text
                ? new LoadedData(TextCorpus.Load(path, (spec ?? ModelSpec.ByteLm).InputShape.Width, train: true), DataFormat.Text, ["text"])
                : DataSourceLoader.Load(source, contract, cancellationToken);
            spec ??= Fitting(loaded);
            long parameters;
            using (var trainer = NativeTrainer.Create(spec, new TrainerOptions(Threads: 1)))
            {
                parameters = trainer.ParameterCount;
            }

            Console.WriteLine($"Data: {path}");
            foreach (string line in DataReport.Lines(loaded, spec, parameters, parse.GetValue(holdout) ?? 0.1, parse.GetValue(dpSgd) is not null))
            {
                Console.WriteLine(line);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The run's contract from the coordinator, asked as the worker would, with its credential.</summary>
    private static async Task<DataContract> FetchContractAsync(Uri address, string workerId, Worker.Security.WorkerSecurityOptions security, CancellationToken cancellationToken)
    {
        var worker = new Worker.WorkerOptions { Coordinator = address, WorkerId = workerId, ReconnectTimeout = TimeSpan.FromSeconds(20) };
        worker.Validate();
        using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(_ => { });
        var logger = loggers.CreateLogger("FedTrain.Data");
        using var connection = await Worker.Security.WorkerConnection.CreateAsync(worker, security, logger, cancellationToken);
        var contract = await Worker.RunContract.FetchAsync(worker, connection.ChannelOptions, logger, cancellationToken);
        if (contract.Model is null)
        {
            throw new InvalidOperationException($"The coordinator at {address} serves no run spec (an older version): pass --model and --classes.");
        }

        Console.WriteLine($"Run spec from {address}: model {contract.Model.ToNativeSpec()}, classes {(contract.ClassNames is { } names ? string.Join(",", names) : "(unnamed)")}"
            + (contract.FeatureNames is { } features ? $", features {string.Join(",", features)} (read by name, in this order)" : string.Empty));
        return contract;
    }

    /// <summary>The zoo model that fits data read without a model: the tabular MLP for rows, a CNN of the image's shape, the byte LM for text.</summary>
    private static ModelSpec Fitting(LoadedData loaded)
    {
        var examples = loaded.Examples;
        return loaded.Format == DataFormat.Text
            ? ModelSpec.ByteLm
            : (examples.Channels, examples.Height) == (1, 1)
            ? ModelSpec.TabularMlp(examples.Width, loaded.ClassNames.Count)
            : ModelSpec.FashionMnistCnn with { Channels = examples.Channels, Height = examples.Height, Width = examples.Width, Classes = loaded.ClassNames.Count };
    }
}
