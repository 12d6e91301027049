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
        string hiddenTuple = PyTorchModuleHeader.Tuple(hidden);
        return string.Create(CultureInfo.InvariantCulture, $$""""
            {{PyTorchModuleHeader.Text("mlp", ClassName, stateDictFile)}}class {{ClassName}}(nn.Module):
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
