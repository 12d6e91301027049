using FedTrain.Core.Data;

namespace FedTrain.Trainer.Tests;

/// <summary>Every failure comes back as an exception with the native message, and the process and trainer carry on.</summary>
public sealed class ErrorTests
{
    private static readonly ImageDataset Data = SyntheticImages.Create(64);

    [Theory]
    [InlineData("kind=rnn;in=1,28,28;classes=10", "unknown model kind 'rnn'")]
    [InlineData("kind=cnn;in=1,28,28;classes=10;conv=4;colour=red", "unknown key 'colour'")]
    [InlineData("kind=cnn;in=1,28,28;classes=ten;conv=4", "'ten' is not an integer")]
    [InlineData("kind=cnn;in=1,28,28;classes=10;conv=4,x", "'x' is not an integer")]
    [InlineData("kind=cnn;in=1,28;classes=10;conv=4", "'in' needs 3")]
    [InlineData("kind=cnn;in=1,28,28;conv=4", "missing key 'classes'")]
    [InlineData("kind=cnn;in=1,4,4;classes=10;conv=4,4,4", "below one pixel")]
    [InlineData("in=1,28,28;classes=10", "has no kind")]
    [InlineData("kind=cnn;kind=cnn", "appears twice")]
    [InlineData("", "model spec is empty")]
    [InlineData("kind=cnn;;in=1,28,28", "empty entry")]
    public void Bad_spec_strings_are_rejected_with_the_reason(string spec, string reason)
    {
        var error = Assert.Throws<TrainerException>(() => NativeTrainer.Create(spec, new TrainerOptions()));

        Assert.Equal(TrainerErrorCode.InvalidArgument, error.Code);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_on_a_cpu_only_build_says_cuda_is_not_available()
    {
        Exception? error = Record.Exception(() => NativeTrainer.Create(TestModels.Tiny, new TrainerOptions(Device: "cuda")).Dispose());

        // A CUDA build on a GPU machine legitimately succeeds; everywhere else this must be a clear device error.
        if (error is not null)
        {
            var trainerError = Assert.IsType<TrainerException>(error);
            Assert.Equal(TrainerErrorCode.Device, trainerError.Code);
            Assert.Contains("CUDA is not available", trainerError.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("cuda:x")]
    [InlineData("")]
    public void Unknown_devices_are_device_errors(string device)
    {
        var error = Assert.Throws<TrainerException>(() => NativeTrainer.Create(TestModels.Tiny, new TrainerOptions(Device: device)));

        Assert.Equal(TrainerErrorCode.Device, error.Code);
        Assert.Contains(device, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Negative_thread_count_is_rejected()
    {
        var error = Assert.Throws<TrainerException>(() => NativeTrainer.Create(TestModels.Tiny, new TrainerOptions(Threads: -1)));

        Assert.Equal(TrainerErrorCode.InvalidArgument, error.Code);
    }

    [Fact]
    public void Wrong_parameter_count_is_rejected_both_ways()
    {
        using var trainer = TestModels.CreateTiny();
        var buffer = new float[trainer.ParameterCount + 1];

        var get = Assert.Throws<TrainerException>(() => trainer.GetParameters(buffer));
        var set = Assert.Throws<TrainerException>(() => trainer.SetParameters(buffer.AsSpan(0, 10)));

        Assert.Equal(TrainerErrorCode.InvalidArgument, get.Code);
        Assert.Contains($"the model has {trainer.ParameterCount}", get.Message, StringComparison.Ordinal);
        Assert.Equal(TrainerErrorCode.InvalidArgument, set.Code);
    }

    [Fact]
    public void Label_out_of_range_names_the_label_and_its_index()
    {
        var labels = (long[])Data.Labels.Clone();
        labels[5] = 10;
        var data = new ImageDataset(Data.Images, labels, 1, 28, 28, 10);
        using var trainer = TestModels.CreateTiny();

        var train = Assert.Throws<TrainerException>(() => trainer.Train(data, TestModels.Sgd(epochs: 1), CancellationToken.None));
        var evaluate = Assert.Throws<TrainerException>(() => trainer.Evaluate(data, 32));

        Assert.Equal(TrainerErrorCode.InvalidArgument, train.Code);
        Assert.Contains("label 10 at index 5 is outside [0, 10)", train.Message, StringComparison.Ordinal);
        Assert.Equal(TrainerErrorCode.InvalidArgument, evaluate.Code);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(-0.1f)]
    public void Non_finite_or_negative_learning_rate_is_rejected(float learningRate)
    {
        using var trainer = TestModels.CreateTiny();
        float[] before = TestModels.Parameters(trainer);

        var error = Assert.Throws<TrainerException>(
            () => trainer.Train(Data, TestModels.Sgd(epochs: 1, learningRate: learningRate), CancellationToken.None));

        Assert.Equal(TrainerErrorCode.InvalidArgument, error.Code);
        Assert.Contains("learning rate", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, TestModels.Parameters(trainer));
    }

    [Fact]
    public void Other_bad_hyperparameters_are_rejected()
    {
        using var trainer = TestModels.CreateTiny();
        var config = TestModels.Sgd(epochs: 1);

        Assert.Equal(TrainerErrorCode.InvalidArgument, Assert.Throws<TrainerException>(
            () => trainer.Train(Data, config with { LocalEpochs = 0, LocalSteps = 0 }, CancellationToken.None)).Code);
        Assert.Equal(TrainerErrorCode.InvalidArgument, Assert.Throws<TrainerException>(
            () => trainer.Train(Data, config with { BatchSize = 0 }, CancellationToken.None)).Code);
        Assert.Equal(TrainerErrorCode.InvalidArgument, Assert.Throws<TrainerException>(
            () => trainer.Train(Data, config with { Momentum = 1f }, CancellationToken.None)).Code);
        Assert.Equal(TrainerErrorCode.InvalidArgument, Assert.Throws<TrainerException>(
            () => trainer.Train(Data, config with { WeightDecay = float.NaN }, CancellationToken.None)).Code);
        Assert.Contains("unknown optimizer 'rmsprop'", Assert.Throws<TrainerException>(
            () => trainer.Train(Data, config with { Optimizer = "rmsprop" }, CancellationToken.None)).Message, StringComparison.Ordinal);
        Assert.Equal(TrainerErrorCode.InvalidArgument, Assert.Throws<TrainerException>(
            () => trainer.Train(Data.Subset([]), config, CancellationToken.None)).Code);
        Assert.Equal(TrainerErrorCode.InvalidArgument, Assert.Throws<TrainerException>(() => trainer.Evaluate(Data, 0)).Code);
    }

    [Fact]
    public void Dataset_of_another_shape_is_rejected_before_reaching_native_code()
    {
        var colour = new ImageDataset(new float[2 * 3 * 28 * 28], [0, 1], 3, 28, 28, 10);
        using var trainer = TestModels.CreateTiny();

        var error = Assert.Throws<TrainerException>(() => trainer.Evaluate(colour, 2));

        Assert.Contains("3x28x28; the model expects 1x28x28", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nan_parameters_make_training_fail_as_non_finite_and_the_trainer_recovers()
    {
        using var trainer = TestModels.CreateTiny();
        float[] good = TestModels.Parameters(trainer);
        var nan = new float[good.Length];
        Array.Fill(nan, float.NaN);
        trainer.SetParameters(nan);

        var error = Assert.Throws<TrainerException>(() => trainer.Train(Data, TestModels.Sgd(epochs: 1), CancellationToken.None));

        Assert.Equal(TrainerErrorCode.NonFinite, error.Code);
        Assert.Contains("diverged", error.Message, StringComparison.Ordinal);
        trainer.SetParameters(good);
        Assert.True(double.IsFinite(trainer.Train(Data, TestModels.Sgd(steps: 2), CancellationToken.None).MeanLoss));
    }

    [Fact]
    public void Huge_learning_rate_diverges_as_non_finite()
    {
        using var trainer = TestModels.CreateTiny();

        var error = Assert.Throws<TrainerException>(
            () => trainer.Train(Data, TestModels.Sgd(epochs: 20, learningRate: 1e30f), CancellationToken.None));

        Assert.Equal(TrainerErrorCode.NonFinite, error.Code);
    }

    [Fact]
    public void A_disposed_trainer_throws_object_disposed()
    {
        var trainer = TestModels.CreateTiny();
        trainer.Dispose();
        trainer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => trainer.GetParameters(new float[trainer.ParameterCount]));
        Assert.Throws<ObjectDisposedException>(() => trainer.Evaluate(Data, 8));
    }
}
