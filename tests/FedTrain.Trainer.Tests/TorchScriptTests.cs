using System.Globalization;
using FedTrain.Core.Checkpoints;
using FedTrain.Core.Data;
using Xunit.Abstractions;

namespace FedTrain.Trainer.Tests;

/// <summary>
/// TorchScript modules exported from PyTorch: loading, the flat buffer's names, the checks at creation, and training
/// that reproduces PyTorch's own training of the same model step for step.
/// </summary>
public sealed class TorchScriptTests(ITestOutputHelper output)
{
    // Max |ours - PyTorch| over every parameter and running statistic after 20 SGD steps (measured 0 at one thread;
    // see docs/torchscript.md). Room for float32 reductions summed in another order (other thread counts or builds),
    // which 20 momentum steps carry forward; a wrong step, order or loss would be off by 1e-3 or more.
    private const float Tolerance = 1e-4f;

    [Fact]
    public void The_flat_buffer_holds_the_modules_parameters_then_its_float_buffers_by_their_PyTorch_names()
    {
        using var trainer = NativeTrainer.Create(TorchScriptFixtures.Spec(TorchScriptFixtures.SmallCnn), new TrainerOptions(Threads: 1));

        Assert.Equal(
            [
                "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias", "features.4.weight",
                "features.4.bias", "classifier.weight", "classifier.bias", "features.1.running_mean", "features.1.running_var",
            ],
            trainer.Manifest.Tensors.Select(t => t.Name));
        Assert.Equal([8L, 1, 3, 3], trainer.Manifest.Tensors[0].Shape);
        Assert.Equal([10L, 784], trainer.Manifest.Tensors[6].Shape);
        Assert.Equal(10, trainer.Classes);
        // The archive's weights are the starting point: the seed plays no part.
        using var other = NativeTrainer.Create(TorchScriptFixtures.Spec(TorchScriptFixtures.SmallCnn), new TrainerOptions(Threads: 1, Seed: 99));
        Assert.Equal(TestModels.Parameters(trainer), TestModels.Parameters(other));
    }

    [Fact]
    public void Twenty_sgd_steps_in_dataset_order_match_PyTorchs_training_of_the_same_module()
    {
        var metadata = SafetensorsFile.ReadMetadata(TorchScriptFixtures.SmallCnnReference);
        int steps = int.Parse(metadata["steps"], CultureInfo.InvariantCulture);
        int batch = int.Parse(metadata["batch_size"], CultureInfo.InvariantCulture);
        var data = FashionMnist.Load(FashionMnist.DefaultDirectory, train: true, limit: steps * batch);
        using var trainer = NativeTrainer.Create(TorchScriptFixtures.Spec(TorchScriptFixtures.SmallCnn), new TrainerOptions(Threads: 1));
        trainer.Shuffle = false;
        var initial = TestModels.Parameters(trainer);
        var config = new Core.Models.TrainingConfig(
            0, steps, batch, float.Parse(metadata["learning_rate"], CultureInfo.InvariantCulture), "sgd",
            float.Parse(metadata["momentum"], CultureInfo.InvariantCulture), 0f, Seed: 1);

        var result = trainer.Train(data, config, CancellationToken.None);

        Assert.Equal(steps, result.Steps);
        var ours = TestModels.Parameters(trainer);
        var pytorch = SafetensorsFile.Read(TorchScriptFixtures.SmallCnnReference, trainer.Manifest);
        float maxDifference = ours.Zip(pytorch).Max(p => Math.Abs(p.First - p.Second));
        float maxMovement = initial.Zip(pytorch).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"max |ours - PyTorch| = {maxDifference:E2}; max |PyTorch - initial| = {maxMovement:E2}");
        Assert.True(maxMovement > 100 * Tolerance, $"training barely moved the weights ({maxMovement}); the comparison would prove nothing");
        Assert.True(maxDifference <= Tolerance, $"max |ours - PyTorch| = {maxDifference}, tolerance {Tolerance}");
    }

    [Fact]
    public void Shuffled_training_differs_from_training_in_dataset_order()
    {
        var data = FashionMnist.Load(FashionMnist.DefaultDirectory, train: true, limit: 128);
        var config = TestModels.Sgd(steps: 4);
        using var inOrder = NativeTrainer.Create(TorchScriptFixtures.Spec(TorchScriptFixtures.SmallCnn), new TrainerOptions(Threads: 1));
        using var shuffled = NativeTrainer.Create(TorchScriptFixtures.Spec(TorchScriptFixtures.SmallCnn), new TrainerOptions(Threads: 1));
        inOrder.Shuffle = false;

        inOrder.Train(data, config, CancellationToken.None);
        shuffled.Train(data, config, CancellationToken.None);

        Assert.True(shuffled.Shuffle);
        Assert.NotEqual(TestModels.Parameters(inOrder), TestModels.Parameters(shuffled));
    }

    [Fact]
    public void A_module_with_the_wrong_number_of_outputs_is_refused_with_the_shapes()
    {
        var error = Assert.Throws<TrainerException>(
            () => NativeTrainer.Create(TorchScriptFixtures.Spec(TorchScriptFixtures.WrongClasses), new TrainerOptions()));

        Assert.Equal(TrainerErrorCode.InvalidArgument, error.Code);
        Assert.Contains("maps a batch of shape [2, 1, 28, 28] to [2, 5]", error.Message, StringComparison.Ordinal);
        Assert.Contains("must return float logits [2, 10]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_TorchScript_archive_is_refused()
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-a-module-{Guid.NewGuid():N}.pt");
        File.WriteAllText(path, "these bytes are not a zip archive");
        try
        {
            var error = Assert.Throws<TrainerException>(() => NativeTrainer.Create(TorchScriptFixtures.Spec(path), new TrainerOptions()));

            Assert.Equal(TrainerErrorCode.InvalidArgument, error.Code);
            Assert.Contains("cannot be loaded", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_module_file_is_refused()
    {
        var error = Assert.Throws<TrainerException>(
            () => NativeTrainer.Create("kind=torchscript;module=/nonexistent/model.pt;in=1,28,28;classes=10", new TrainerOptions()));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DP_SGD_refuses_a_module_with_batch_norm_buffers()
    {
        var data = FashionMnist.Load(FashionMnist.DefaultDirectory, train: true, limit: 64);
        using var trainer = NativeTrainer.Create(TorchScriptFixtures.Spec(TorchScriptFixtures.SmallCnn), new TrainerOptions(Threads: 1));

        var error = Assert.Throws<TrainerException>(
            () => trainer.Train(data, TestModels.Sgd(steps: 1), new DpSgdOptions(1.0, 1.0), CancellationToken.None));

        Assert.Contains("has buffers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zoo_model_has_no_TorchScript_form_and_logits_need_matching_images()
    {
        using var trainer = TestModels.CreateTiny();
        string path = Path.Combine(Path.GetTempPath(), $"zoo-{Guid.NewGuid():N}.pt");

        var error = Assert.Throws<TrainerException>(() => trainer.SaveTorchScript(path));

        Assert.Contains("no TorchScript form", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        var wrongShape = new ImageDataset(new float[2 * 3 * 28 * 28], new long[2], 3, 28, 28, 10);
        Assert.Throws<TrainerException>(() => trainer.Logits(wrongShape));
    }

    [Fact]
    public void Logits_agree_with_evaluation()
    {
        var data = FashionMnist.Load(FashionMnist.DefaultDirectory, train: false, limit: 50);
        using var trainer = NativeTrainer.Create(TorchScriptFixtures.Spec(TorchScriptFixtures.SmallCnn), new TrainerOptions(Threads: 1));

        float[] logits = trainer.Logits(data);
        var evaluation = trainer.Evaluate(data, 16);

        Assert.Equal(50 * 10, logits.Length);
        int correct = Enumerable.Range(0, 50).Count(i =>
        {
            var row = logits.AsSpan(i * 10, 10);
            int best = 0;
            for (int c = 1; c < row.Length; c++)
            {
                best = row[c] > row[best] ? c : best;
            }

            return best == data.Labels[i];
        });
        Assert.Equal(evaluation.Accuracy, correct / 50.0, 6);
    }
}
