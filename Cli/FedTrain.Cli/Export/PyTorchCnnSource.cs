using System.Globalization;

namespace FedTrain.Cli.Export;

/// <summary>
/// Python source of the zoo's <c>kind=cnn</c> as a <c>torch.nn.Module</c> whose parameter names and arithmetic match
/// the native trainer's (Worker/native/src/cnn_model.cpp): per conv width a 3x3 conv with padding 1, ReLU and 2x2 max
/// pooling; flatten; an optional hidden Linear and ReLU; a Linear to the classes. The constructor's defaults are the
/// exported run's shape, so <c>FedTrainCnn()</c> loads the exported state dict as it is.
/// </summary>
internal static class PyTorchCnnSource
{
    public const string ClassName = "FedTrainCnn";

    public static string Generate(NativeSpecText spec, string stateDictFile)
    {
        int[] input = spec.Integers("in");
        int[] conv = spec.Integers("conv");
        int hidden = spec.Integers("hidden") is [var h] ? h : 0;
        int classes = int.Parse(spec["classes"], CultureInfo.InvariantCulture);
        if (input.Length != 3)
        {
            throw new ExportException($"The checkpoint's CNN spec '{spec}' needs in=C,H,W.");
        }

        string convTuple = PyTorchModuleHeader.Tuple(conv);
        return string.Create(CultureInfo.InvariantCulture, $$""""
            {{PyTorchModuleHeader.Text("cnn", ClassName, stateDictFile)}}class {{ClassName}}(nn.Module):
                def __init__(self, in_channels: int = {{input[0]}}, height: int = {{input[1]}}, width: int = {{input[2]}},
                             classes: int = {{classes}}, conv: tuple = {{convTuple}}, hidden: int = {{hidden}}) -> None:
                    super().__init__()
                    channels = in_channels
                    for index, out_channels in enumerate(conv):
                        setattr(self, f"conv{index}", nn.Conv2d(channels, out_channels, 3, padding=1))
                        channels = out_channels
                    self.blocks = len(conv)
                    features = channels * (height >> len(conv)) * (width >> len(conv))
                    self.fc1 = nn.Linear(features, hidden) if hidden > 0 else None
                    self.out = nn.Linear(hidden if hidden > 0 else features, classes)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for index in range(self.blocks):
                        x = F.max_pool2d(F.relu(getattr(self, f"conv{index}")(x)), 2)
                    x = torch.flatten(x, 1)
                    if self.fc1 is not None:
                        x = F.relu(self.fc1(x))
                    return self.out(x)

            """");
    }
}
