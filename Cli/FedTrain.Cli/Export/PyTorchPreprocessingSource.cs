using System.Globalization;
using FedTrain.Core.Data.Formats;

namespace FedTrain.Cli.Export;

/// <summary>
/// Python source appended to an exported zoo module: the run's input preprocessing as an <c>nn.Module</c>, the class
/// names, and <c>FedTrainClassifier</c>, which takes raw inputs (pixel values 0..255 of any size, or raw table rows)
/// so that they score as the coordinator scored its test set; <c>load()</c> builds it with the exported weights.
/// </summary>
internal static class PyTorchPreprocessingSource
{
    public static string Generate(InputPreprocessing preprocessing, string modelClass, string stateDictFile)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
        string List(IEnumerable<float> values) => "[" + string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
        string Names(IEnumerable<string> names) => "[" + string.Join(", ", names.Select(n => System.Text.Json.JsonSerializer.Serialize(n))) + "]";

        string preprocess = preprocessing.ImageShape is [int channels, int height, int width]
            ? F($$""""
                class FedTrainPreprocess(nn.Module):
                    """Raw pixels (0..255; [N, C, h, w], or [N, h, w] for grey) to the model's input: resized to {{height}}x{{width}}
                    (bilinear), scaled to [0, 1] and normalised per channel, as the run's workers and coordinator did."""

                    def __init__(self) -> None:
                        super().__init__()
                        self.height = {{height}}
                        self.width = {{width}}
                        self.channels = {{channels}}
                        self.register_buffer("mean", torch.tensor({{List(preprocessing.PixelMean!)}}).view(1, -1, 1, 1))
                        self.register_buffer("std", torch.tensor({{List(preprocessing.PixelStd!)}}).view(1, -1, 1, 1))

                    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
                        x = pixels.float()
                        if x.dim() == 3:
                            x = x.unsqueeze(1)
                        if x.shape[1] == 1 and self.channels == 3:
                            x = x.expand(-1, 3, -1, -1)
                        if x.shape[2] != self.height or x.shape[3] != self.width:
                            x = F.interpolate(x, size=[self.height, self.width], mode="bilinear", align_corners=False)
                        return (x / 255.0 - self.mean) / self.std
                """")
            : F($$""""
                class FedTrainPreprocess(nn.Module):
                    """Raw table rows [N, features] (columns in FEATURE_NAMES order) to the model's input: standardised with the
                    statistics the coordinator scored its test set with."""

                    def __init__(self) -> None:
                        super().__init__()
                        self.register_buffer("mean", torch.tensor({{List(preprocessing.FeatureMean!)}}))
                        self.register_buffer("std", torch.tensor({{List(preprocessing.FeatureStd!)}}))

                    def forward(self, rows: torch.Tensor) -> torch.Tensor:
                        return ((rows.float() - self.mean) / self.std).view(rows.shape[0], 1, 1, -1)
                """");

        return F($$""""


            # The run's input preprocessing and class names: FedTrainClassifier takes raw inputs. It is TorchScript as
            # well: `fedtrain export --format torchscript` scripts it, so that torch.jit.load gives the same classifier.
            from typing import List

            CLASS_NAMES = {{Names(preprocessing.ClassNames)}}
            # Tables: the columns a raw row holds, in order; empty for images.
            FEATURE_NAMES = {{Names(preprocessing.FeatureNames ?? [])}}


            {{preprocess.TrimEnd()}}


            class FedTrainClassifier(nn.Module):
                """Raw inputs to logits: the run's preprocessing, then the trained {{modelClass}}."""

                # Declared on the class so that TorchScript keeps them, an empty list included.
                class_names: List[str]
                feature_names: List[str]

                def __init__(self) -> None:
                    super().__init__()
                    self.preprocess = FedTrainPreprocess()
                    self.model = {{modelClass}}()
                    self.class_names = list(CLASS_NAMES)
                    self.feature_names = list(FEATURE_NAMES)

                def forward(self, raw: torch.Tensor) -> torch.Tensor:
                    return self.model(self.preprocess(raw))

                @torch.jit.export
                def predict(self, raw: torch.Tensor) -> List[str]:
                    indices: List[int] = self.forward(raw).argmax(1).tolist()
                    return [self.class_names[i] for i in indices]


            def load(state_dict: str = "{{Path.GetFileName(stateDictFile)}}") -> FedTrainClassifier:
                """The exported global model behind the run's preprocessing, in eval mode."""
                classifier = FedTrainClassifier()
                classifier.model.load_state_dict(torch.load(state_dict))
                classifier.eval()
                return classifier

            """");
    }
}
