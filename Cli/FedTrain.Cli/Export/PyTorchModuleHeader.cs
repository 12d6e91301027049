using System.Globalization;

namespace FedTrain.Cli.Export;

/// <summary>The parts every exported zoo module's Python source shares: its docstring and imports, and tuple literals.</summary>
internal static class PyTorchModuleHeader
{
    /// <summary>The module docstring (how to load the exported state dict) and the imports, ending in two blank lines.</summary>
    public static string Text(string kind, string className, string stateDictFile) => string.Create(CultureInfo.InvariantCulture, $$""""
        """FedTrain's kind={{kind}} model as a torch.nn.Module, written by `fedtrain export`.

        Load the exported global model with:

            import torch
            from {{Path.GetFileNameWithoutExtension(stateDictFile)}} import {{className}}
            model = {{className}}()
            model.load_state_dict(torch.load("{{Path.GetFileName(stateDictFile)}}"))
            model.eval()
        """
        import torch
        import torch.nn.functional as F
        from torch import nn



        """");

    /// <summary>A Python tuple literal of <paramref name="values"/>: <c>()</c>, <c>(8,)</c>, <c>(8, 16)</c>.</summary>
    public static string Tuple(IReadOnlyList<int> values) => values.Count switch
    {
        0 => "()",
        1 => string.Create(CultureInfo.InvariantCulture, $"({values[0]},)"),
        _ => "(" + string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture))) + ")",
    };
}
