using System.Globalization;
using FedTrain.Core.Data.Formats;

namespace FedTrain.Cli.Export;

/// <summary>
/// Python source exported for a run that trained its own TorchScript module, with <c>--format torchscript</c>: the
/// module (with the round's weights, saved beside it) behind the run's input preprocessing, as
/// <c>FedTrainClassifier</c>; <see cref="TorchScriptClassifier"/> scripts it into the archive.
/// </summary>
internal static class PyTorchTorchScriptRunSource
{
    public const string NetworkFunction = "FedTrainNetwork";

    public static string Generate(InputPreprocessing preprocessing, string networkFile, string stateDictFile) =>
        string.Create(CultureInfo.InvariantCulture, $$""""
            """The run's own TorchScript module behind its input preprocessing, written by `fedtrain export --format torchscript`.

            The module with the exported round's weights is {{Path.GetFileName(networkFile)}}, beside this file;
            {{Path.GetFileNameWithoutExtension(stateDictFile)}}.torchscript.pt is this classifier scripted, for torch.jit.load.
            """
            import os

            import torch
            import torch.nn.functional as F
            from torch import nn


            def {{NetworkFunction}}() -> nn.Module:
                """The run's TorchScript module with the exported round's weights."""
                return torch.jit.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "{{Path.GetFileName(networkFile)}}"))
            """") + PyTorchPreprocessingSource.Generate(preprocessing, NetworkFunction, stateDictFile);
}
