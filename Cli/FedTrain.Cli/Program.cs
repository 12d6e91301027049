using System.CommandLine;
using FedTrain.Cli.Commands;
using FedTrain.Core.Files;

// Everything fedtrain writes (run directories, updates, checkpoints, databases, logs, secrets) is its owner's alone,
// and so is what the processes it starts (the demo's workers) write.
PrivateFiles.RestrictProcessUmask();

var root = new RootCommand("FedTrain: federated learning with a coordinator and workers over gRPC, training in libtorch.");
root.Subcommands.Add(CoordinatorCommand.Create());
root.Subcommands.Add(WorkerCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(PrivacyCommand.Create());
root.Subcommands.Add(AdminCommand.Create());
root.Subcommands.Add(CertsCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(DataCommand.Create());

try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is ArgumentException or FormatException or FileNotFoundException or TimeoutException)
{
    // Configuration errors are the user's to fix: say what is wrong, without a stack trace.
    Console.Error.WriteLine($"fedtrain: {ex.Message}");
    return 2;
}
catch (FedTrain.Core.Data.Formats.DataValidationException ex)
{
    // The data does not meet the run's contract; the message names the file, row or class to fix.
    Console.Error.WriteLine($"fedtrain: data refused: {ex.Message}");
    return 2;
}
catch (OperationCanceledException)
{
    // Ctrl+C or SIGTERM: committed rounds are already durable; the run resumes from them.
    Console.Error.WriteLine("fedtrain: stopped.");
    return 130;
}
