using System.Diagnostics;

namespace FedTrain.Trainer.Tests;

public sealed class CancellationTests
{
    private static readonly FedTrain.Core.Data.ImageDataset Data = SyntheticImages.Create(256);

    [Fact]
    public void An_already_cancelled_token_throws_before_any_step()
    {
        using var trainer = TestModels.CreateTiny();
        float[] before = TestModels.Parameters(trainer);

        Assert.Throws<OperationCanceledException>(
            () => trainer.Train(Data, TestModels.Sgd(epochs: 1), new CancellationToken(canceled: true)));

        Assert.Equal(before, TestModels.Parameters(trainer));
    }

    [Fact]
    public void Cancelling_mid_round_stops_promptly_and_the_trainer_stays_usable()
    {
        using var trainer = TestModels.CreateTiny();
        float[] before = TestModels.Parameters(trainer);
        using var cts = new CancellationTokenSource();
        // A round far longer than any test: a million steps takes many minutes.
        var endless = TestModels.Sgd(steps: 1_000_000);

        cts.CancelAfter(TimeSpan.FromMilliseconds(200));
        var stopwatch = Stopwatch.StartNew();
        var error = Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(Data, endless, cts.Token));
        stopwatch.Stop();

        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Contains("cancelled after", error.Message, StringComparison.Ordinal);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
        Assert.NotEqual(before, TestModels.Parameters(trainer));   // it really was mid-round
        Assert.Equal(3, trainer.Train(Data, TestModels.Sgd(steps: 3), CancellationToken.None).Steps);
    }
}
