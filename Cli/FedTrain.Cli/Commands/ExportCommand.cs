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
        var command = new Command("export", "Write a round's global model as a PyTorch state dict, plus its nn.Module source (zoo CNN) or TorchScript module.");
        command.Options.Add(run);
        command.Options.Add(round);
        command.Options.Add(output);
        command.SetAction(parse =>
        {
            try
            {
                foreach (string path in ModelExporter.Export(parse.GetValue(run)!, parse.GetValue(round), parse.GetValue(output)!))
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
