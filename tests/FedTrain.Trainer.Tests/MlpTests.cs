using FedTrain.Core.Data;
using FedTrain.Core.Models;

namespace FedTrain.Trainer.Tests;

/// <summary>The zoo's tabular model (kind=mlp) through the C ABI: its layout, and learning a table that needs a hidden layer.</summary>
public sealed class MlpTests
{
    [Fact]
    public void The_mlp_has_linear_layers_named_like_torch_and_takes_rows_of_features()
    {
        var spec = ModelSpec.Parse("kind=mlp;in=5;hidden=8,4;classes=3");
        using var trainer = NativeTrainer.Create(spec, new TrainerOptions(Threads: 1, Seed: 1));

        Assert.Equal((5 * 8) + 8 + (8 * 4) + 4 + (4 * 3) + 3, trainer.ParameterCount);
        Assert.Equal(["fc0.weight", "fc0.bias", "fc1.weight", "fc1.bias", "out.weight", "out.bias"], trainer.Manifest.Tensors.Select(t => t.Name));
        Assert.Equal("kind=mlp;in=5;classes=3;hidden=8,4", spec.ToNativeSpec());
    }

    [Fact]
    public void An_mlp_learns_xor_of_two_features_which_no_linear_model_can()
    {
        // Label = sign(x0) xor sign(x1), plus a noise feature: linearly inseparable.
        var random = new SplitMix64(3);
        const int n = 1024;
        var rows = new float[n * 3];
        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            float a = (float)((random.NextDouble() * 2) - 1), b = (float)((random.NextDouble() * 2) - 1);
            (rows[3 * i], rows[(3 * i) + 1], rows[(3 * i) + 2]) = (a, b, (float)random.NextDouble());
            labels[i] = (a > 0) ^ (b > 0) ? 1 : 0;
        }

        var data = new ImageDataset(rows, labels, 1, 1, 3, 2);
        using var trainer = NativeTrainer.Create(ModelSpec.Parse("kind=mlp;in=3;hidden=32,32;classes=2"), new TrainerOptions(Threads: 2, Seed: 5));
        trainer.Train(data, TrainingPresets.Mlp with { LocalEpochs = 30 }, CancellationToken.None);

        double accuracy = trainer.Evaluate(data, 256).Accuracy;
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");
    }
}
