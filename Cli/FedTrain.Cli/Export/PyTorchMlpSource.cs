using System.Globalization;

namespace FedTrain.Cli.Export;

/// <summary>
/// Python source of the zoo's <c>kind=mlp</c> as a <c>torch.nn.Module</c> matching the native trainer's
/// (Worker/native/src/mlp_model.cpp): per hidden width a Linear and ReLU, then a Linear to the classes, over
/// standardised feature rows.
/// </summary>
internal static class PyTorchMlpSource
{
    public const string ClassName = "FedTrainMlp";

    public static string Generate(NativeSpecText spec, string stateDictFile)
    {
        int features = int.Parse(spec["in"], CultureInfo.InvariantCulture);
        int classes = int.Parse(spec["classes"], CultureInfo.InvariantCulture);
        int[] hidden = spec.ToString().Contains("hidden=", StringComparison.Ordinal) ? spec.Integers("hidden") : [];
        string hiddenTuple = hidden.Length switch
        {
            0 => "()",
            1 => $"({hidden[0]},)",
            _ => $"({string.Join(", ", hidden)})",
        };
        return string.Create(CultureInfo.InvariantCulture, $$""""
            """FedTrain's kind=mlp model as a torch.nn.Module, written by `fedtrain export`.

            Load the exported global model with:

                import torch
                from {{Path.GetFileNameWithoutExtension(stateDictFile)}} import {{ClassName}}
                model = {{ClassName}}()
                model.load_state_dict(torch.load("{{Path.GetFileName(stateDictFile)}}"))
                model.eval()
            """
            import torch
            import torch.nn.functional as F
            from torch import nn


            class {{ClassName}}(nn.Module):
                def __init__(self, features: int = {{features}}, classes: int = {{classes}}, hidden: tuple = {{hiddenTuple}}) -> None:
                    super().__init__()
                    width = features
                    for index, out_features in enumerate(hidden):
                        setattr(self, f"fc{index}", nn.Linear(width, out_features))
                        width = out_features
                    self.layers = len(hidden)
                    self.out = nn.Linear(width, classes)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    x = torch.flatten(x, 1)
                    for index in range(self.layers):
                        x = F.relu(getattr(self, f"fc{index}")(x))
                    return self.out(x)

            """");
    }
}
