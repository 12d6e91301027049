using System.CommandLine;
using FedTrain.Cli.Export;
using FedTrain.Trainer;

namespace FedTrain.Cli.Commands;

/// <summary>
/// <c>fedtrain export --run DIR --round R --out FILE</c>: the global model of round R as files PyTorch loads (see
/// <see cref="ModelExporter"/>). A bad run directory or round is reported with exit code 1.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "Run directory (holds checkpoints/round-NNNN.safetensors).", Required = true };
        var round = new Option<int>("--round") { Description = "Round whose global model to export.", Required = true };
        var output = new Option<string>("--out") { Description = "State dict to write, e.g. model.pt (torch.load reads it).", Required = true };
        var format = new Option<string>("--format")
        {
            Description = "pytorch (default): the state dict and the module source; torchscript: also NAME.torchscript.pt, the classifier with the run's preprocessing and class names, scripted (zoo cnn and mlp, and TorchScript runs; needs Python 3 with PyTorch).",
            DefaultValueFactory = _ => "pytorch",
        };
        format.AcceptOnlyFromAmong("pytorch", "torchscript");
        var python = new Option<string>("--python") { Description = "With --format torchscript: the Python interpreter with PyTorch (default python3).", DefaultValueFactory = _ => "python3" };
        var command = new Command("export", "Write a round's global model as a PyTorch state dict, plus its nn.Module source (zoo CNN) or TorchScript module.");
        command.Options.Add(run);
        command.Options.Add(round);
        command.Options.Add(output);
        command.Options.Add(format);
        command.Options.Add(python);
        command.SetAction(parse =>
        {
            try
            {
                foreach (string path in ModelExporter.Export(
                    parse.GetValue(run)!, parse.GetValue(round), parse.GetValue(output)!, parse.GetValue(format) == "torchscript", parse.GetValue(python)!))
                {
                    Console.WriteLine($"wrote {path}");
                }

                return 0;
            }
            catch (Exception ex) when (ex is ExportException or TrainerException)
            {
                Console.Error.WriteLine($"fedtrain export: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
