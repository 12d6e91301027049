using FedTrain.Core.Data;

namespace FedTrain.Trainer.Tests;

/// <summary>
/// Data read on demand (ft_train_streamed, ft_evaluate_streamed): the native loop asks the caller for each batch and
/// trains exactly as it does on the same examples in memory.
/// </summary>
public sealed class StreamedDataTests
{
    private static readonly ImageDataset Data = SyntheticImages.Create(256);

    [Fact]
    public void Streamed_training_and_evaluation_equal_training_on_the_same_examples_in_memory()
    {
        var source = new CountingSource(Data);
        var lazy = new ImageDataset(source, Enumerable.Range(0, Data.Count).Select(i => (long)i).ToArray(), Data.Labels, 1, 28, 28, 10);
        var config = TestModels.Sgd(epochs: 2);

        using var inMemory = TestModels.CreateTiny(seed: 3);
        using var streamed = TestModels.CreateTiny(seed: 3);
        var expected = inMemory.Train(Data, config, CancellationToken.None);
        var actual = streamed.Train(lazy, config, CancellationToken.None);

        Assert.Equal(TestModels.Parameters(inMemory), TestModels.Parameters(streamed));
        Assert.Equal((expected.Steps, expected.Examples, expected.MeanLoss), (actual.Steps, actual.Examples, actual.MeanLoss));
        Assert.Equal(2 * 256, source.Served);
        Assert.Equal(inMemory.Evaluate(Data, 100).Accuracy, streamed.Evaluate(lazy, 100).Accuracy);
    }

    [Fact]
    public void A_subset_of_a_streamed_data_set_reads_its_own_rows()
    {
        var lazy = new ImageDataset(new CountingSource(Data), Enumerable.Range(0, Data.Count).Select(i => (long)i).ToArray(), Data.Labels, 1, 28, 28, 10);
        int[] rows = [5, 9, 200];
        using var trainer = TestModels.CreateTiny();

        Assert.Equal(trainer.Evaluate(Data.Subset(rows), 2).MeanLoss, trainer.Evaluate(lazy.Subset(rows), 2).MeanLoss);
    }

    [Fact]
    public void A_failing_source_surfaces_its_own_exception_and_the_trainer_survives()
    {
        var lazy = new ImageDataset(new FailingSource(), [0, 1], [0, 1], 1, 28, 28, 10);
        using var trainer = TestModels.CreateTiny();

        var error = Assert.Throws<InvalidDataException>(() => trainer.Train(lazy, TestModels.Sgd(epochs: 1), CancellationToken.None));
        Assert.Equal("scan.png vanished", error.Message);
        Assert.Throws<InvalidOperationException>(() => trainer.Train(lazy, TestModels.Sgd(epochs: 1), new DpSgdOptions(1, 1), CancellationToken.None));
        Assert.Equal(256, trainer.Evaluate(Data, 64).Examples);
    }

    private sealed class CountingSource(ImageDataset data) : IExampleSource
    {
        public long Served { get; private set; }

        public void Fill(ReadOnlySpan<long> indices, Span<float> destination)
        {
            data.Fill(indices, destination);
            Served += indices.Length;
        }
    }

    private sealed class FailingSource : IExampleSource
    {
        public void Fill(ReadOnlySpan<long> indices, Span<float> destination) => throw new InvalidDataException("scan.png vanished");
    }
}
