namespace FedTrain.Trainer.Tests;

public sealed class TrainingTests
{
    private static readonly FedTrain.Core.Data.ImageDataset Data = SyntheticImages.Create(512);

    [Fact]
    public void Training_on_learnable_data_lowers_loss_and_raises_accuracy()
    {
        using var trainer = TestModels.CreateTiny();
        EvalResult before = trainer.Evaluate(Data, 256);

        TrainResult first = trainer.Train(Data, TestModels.Sgd(epochs: 2), CancellationToken.None);
        TrainResult second = trainer.Train(Data, TestModels.Sgd(epochs: 1, seed: 8), CancellationToken.None);
        EvalResult after = trainer.Evaluate(Data, 256);

        Assert.Equal(2 * 16, first.Steps);
        Assert.Equal(2 * 512, first.Examples);
        Assert.True(second.MeanLoss < first.MeanLoss, $"second round loss {second.MeanLoss} >= first {first.MeanLoss}");
        Assert.True(after.MeanLoss < before.MeanLoss / 2, $"loss {before.MeanLoss} -> {after.MeanLoss}");
        Assert.True(after.Accuracy > 0.9, $"accuracy {before.Accuracy} -> {after.Accuracy}");
        Assert.True(first.Seconds > 0);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void Same_seeds_give_bit_identical_parameters_after_training(string optimizer)
    {
        var config = TestModels.Sgd(epochs: 2, learningRate: optimizer == "adam" ? 0.01f : 0.05f) with { Optimizer = optimizer };
        float[][] runs = new float[2][];
        var results = new TrainResult[2];
        for (int run = 0; run < 2; run++)
        {
            using var trainer = TestModels.CreateTiny(seed: 11);
            results[run] = trainer.Train(Data, config, CancellationToken.None);
            runs[run] = TestModels.Parameters(trainer);
        }

        Assert.Equal(runs[0], runs[1]);
        Assert.Equal(results[0].MeanLoss, results[1].MeanLoss);
        Assert.Equal(results[0].Accuracy, results[1].Accuracy);
    }

    [Fact]
    public void Different_shuffle_seeds_give_different_parameters()
    {
        using var a = TestModels.CreateTiny(seed: 11);
        using var b = TestModels.CreateTiny(seed: 11);

        a.Train(Data, TestModels.Sgd(epochs: 1, seed: 1), CancellationToken.None);
        b.Train(Data, TestModels.Sgd(epochs: 1, seed: 2), CancellationToken.None);

        Assert.NotEqual(TestModels.Parameters(a), TestModels.Parameters(b));
    }

    [Theory]
    [InlineData(3, 32, 3, 96)]      // within one epoch
    [InlineData(10, 32, 10, 264)]   // 100 examples: epochs of 32+32+32+4, so 2 epochs (200) + 2 batches (64)
    [InlineData(3, 1000, 3, 300)]   // batch clamped to the data
    public void Local_steps_take_exactly_that_many_steps(int steps, int batchSize, long expectedSteps, long expectedExamples)
    {
        using var trainer = TestModels.CreateTiny();

        TrainResult result = trainer.Train(Data.Take(100), TestModels.Sgd(steps: steps, batchSize: batchSize), CancellationToken.None);

        Assert.Equal(expectedSteps, result.Steps);
        Assert.Equal(expectedExamples, result.Examples);
    }

    [Fact]
    public void Local_epochs_include_the_last_partial_batch()
    {
        using var trainer = TestModels.CreateTiny();

        TrainResult result = trainer.Train(Data.Take(100), TestModels.Sgd(epochs: 2, batchSize: 32), CancellationToken.None);

        Assert.Equal(8, result.Steps);
        Assert.Equal(200, result.Examples);
    }

    [Fact]
    public void Training_does_not_modify_the_callers_data()
    {
        var data = SyntheticImages.Create(64);
        float[] images = (float[])data.Images.Clone();
        long[] labels = (long[])data.Labels.Clone();
        using var trainer = TestModels.CreateTiny();

        trainer.Train(data, TestModels.Sgd(epochs: 1), CancellationToken.None);
        trainer.Evaluate(data, 16);

        Assert.Equal(images, data.Images);
        Assert.Equal(labels, data.Labels);
    }
}
