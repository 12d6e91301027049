using System.CommandLine;
using FedTrain.Core.Models;

namespace FedTrain.Cli.Commands;

/// <summary><c>--torchscript FILE</c>: train a module exported from PyTorch instead of a zoo model.</summary>
internal sealed class TorchScriptFlag
{
    private readonly Option<string?> _module = new("--torchscript")
    {
        Description = "Train this TorchScript module (torch.jit.script or trace, then .save) instead of the zoo model: "
            + "it takes a batch [N, C, H, W] of the data and returns logits [N, classes]; its weights are the starting point.",
    };

    public void AddTo(Command command) => command.Options.Add(_module);

    /// <summary>The spec with the module in place of the zoo model, for the data shape <paramref name="model"/> already has.</summary>
    public ModelSpec Apply(ParseResult parse, ModelSpec model) =>
        parse.GetValue(_module) is { } path
            ? ModelSpec.TorchScript(Path.GetFullPath(path), model.Channels, model.Height, model.Width, model.Classes)
            : model;
}
