using FedTrain.Core.Data;
using FedTrain.Core.Models;

namespace FedTrain.Trainer.Tests;

/// <summary>
/// DP-SGD through the adapter: the mechanism (Poisson batches, per-example clipping, Gaussian noise on the sum, fixed
/// denominator) and the facts reported for the accountant. Seeded runs use the test-only seed; unseeded ones the
/// production stream, with tolerances of five standard deviations or more.
/// </summary>
public sealed class DpSgdTests
{
    private static readonly ImageDataset Data = SyntheticImages.Create(500);

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void Without_noise_and_clipping_at_rate_one_it_is_full_batch_training(string optimizer)
    {
        var data = Data.Take(48);
        var config = TestModels.Sgd(steps: 5, batchSize: 48, learningRate: optimizer == "adam" ? 0.01f : 0.1f) with { Optimizer = optimizer };
        using var plain = TestModels.CreateTiny(seed: 4);
        using var dp = TestModels.CreateTiny(seed: 4);
        float[] initial = TestModels.Parameters(plain);

        TrainResult expected = plain.Train(data, config, CancellationToken.None);
        TrainResult actual = dp.Train(data, config, new DpSgdOptions(1e9, 0) { InsecureTestSeed = 1 }, CancellationToken.None);

        float[] want = TestModels.Parameters(plain), got = TestModels.Parameters(dp);
        float scale = want.Max(MathF.Abs);
        Assert.All(Enumerable.Range(0, want.Length), i => Assert.True(MathF.Abs(want[i] - got[i]) < 1e-5f * scale, $"parameter {i}: {want[i]} vs {got[i]}"));
        Assert.NotEqual(initial, got);
        Assert.Equal(expected.MeanLoss, actual.MeanLoss, 5);
        Assert.Equal(5 * 48, actual.Examples);
        Assert.Equal(new DpSgdReport(5, 1.0, 0, 1e9), actual.DpSgd);
        Assert.Null(expected.DpSgd);
    }

    [Fact]
    public void Null_options_train_exactly_like_the_plain_overload()
    {
        using var a = TestModels.CreateTiny(seed: 2);
        using var b = TestModels.CreateTiny(seed: 2);

        a.Train(Data, TestModels.Sgd(steps: 4), CancellationToken.None);
        TrainResult result = ((ILocalTrainer)b).Train(Data, TestModels.Sgd(steps: 4), dpSgd: null, CancellationToken.None);

        Assert.Equal(TestModels.Parameters(a), TestModels.Parameters(b));
        Assert.Null(result.DpSgd);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    public void Each_example_contributes_at_most_the_clip_norm(ulong seed)
    {
        // One SGD step moves the parameters by lr * (sum of clipped gradients) / batch size when there is no noise.
        const double clip = 1e-3;
        const float learningRate = 0.5f;
        var config = TestModels.Sgd(steps: 1, batchSize: 20, learningRate: learningRate) with { Momentum = 0 };
        using var trainer = TestModels.CreateTiny(seed: 9);
        float[] before = TestModels.Parameters(trainer);

        TrainResult result = trainer.Train(Data.Take(200), config, new DpSgdOptions(clip, 0) { InsecureTestSeed = seed }, CancellationToken.None);

        double step = Norm(Difference(before, TestModels.Parameters(trainer)));
        double bound = learningRate * clip * result.Examples / config.BatchSize;
        Assert.True(result.Examples > 0);
        Assert.True(step <= bound * (1 + 1e-4), $"step {step} exceeds {bound}");
    }

    [Fact]
    public void Update_noise_has_standard_deviation_lr_sigma_c_over_batch()
    {
        // Batch 4 of 1,000: the clipped sum (norm <= C per example) is tiny next to noise over 6,794 coordinates.
        const float learningRate = 0.01f;
        var options = new DpSgdOptions(ClipNorm: 0.5, NoiseMultiplier: 2.0);
        var config = TestModels.Sgd(steps: 1, batchSize: 4, learningRate: learningRate) with { Momentum = 0 };
        using var trainer = TestModels.CreateTiny(seed: 9);
        float[] before = TestModels.Parameters(trainer);

        trainer.Train(SyntheticImages.Create(1000), config, options, CancellationToken.None);

        double[] change = Difference(before, TestModels.Parameters(trainer));
        double expected = learningRate * options.NoiseMultiplier * options.ClipNorm / config.BatchSize;
        double sd = Norm(change) / Math.Sqrt(change.Length);
        Assert.InRange(sd / expected, 0.95, 1.05);   // the estimate's relative sd is 0.9%
        Assert.InRange(change.Average() / expected, -0.06, 0.06);
    }

    [Fact]
    public void Poisson_batches_average_q_times_n_and_the_report_has_q_and_the_steps()
    {
        var data = Data.Take(200);
        using var trainer = TestModels.CreateTiny();

        TrainResult result = trainer.Train(data, TestModels.Sgd(steps: 300, batchSize: 10, learningRate: 0.01f), new DpSgdOptions(1, 1), CancellationToken.None);
        TrainResult epochs = trainer.Train(data, TestModels.Sgd(epochs: 2, batchSize: 30), new DpSgdOptions(1, 1), CancellationToken.None);

        // q * n = 10 per step; over 300 steps the mean has sd 0.18.
        Assert.InRange((double)result.Examples / result.Steps, 9, 11);
        Assert.Equal(new DpSgdReport(300, 0.05, 1, 1), result.DpSgd);
        Assert.Equal(14, epochs.Steps);   // ceil(2 * 200 / 30)
        Assert.Equal(new DpSgdReport(14, 0.15, 1, 1), epochs.DpSgd);
    }

    [Fact]
    public void Only_the_test_seed_makes_runs_repeat()
    {
        float[] Run(DpSgdOptions options, ulong shuffleSeed)
        {
            using var trainer = TestModels.CreateTiny(seed: 3);
            trainer.Train(Data.Take(100), TestModels.Sgd(steps: 3, seed: shuffleSeed), options, CancellationToken.None);
            return TestModels.Parameters(trainer);
        }

        var seeded = new DpSgdOptions(1, 1) { InsecureTestSeed = 6 };
        Assert.Equal(Run(seeded, 1), Run(seeded, 2));   // TrainingConfig.Seed plays no part in DP-SGD
        Assert.NotEqual(Run(new DpSgdOptions(1, 1), 1), Run(new DpSgdOptions(1, 1), 1));
    }

    [Theory]
    [InlineData(0.0, 1.0, "clip_norm")]
    [InlineData(-1.0, 1.0, "clip_norm")]
    [InlineData(double.NaN, 1.0, "clip_norm")]
    [InlineData(double.PositiveInfinity, 1.0, "clip_norm")]
    [InlineData(1.0, 0.0, "noise_multiplier")]
    [InlineData(1.0, -0.5, "noise_multiplier")]
    [InlineData(1.0, double.NaN, "noise_multiplier")]
    [InlineData(1.0, double.PositiveInfinity, "noise_multiplier")]
    public void Clip_norm_and_noise_multiplier_must_be_finite_and_positive(double clipNorm, double noiseMultiplier, string field)
    {
        using var trainer = TestModels.CreateTiny();
        float[] before = TestModels.Parameters(trainer);

        var error = Assert.Throws<TrainerException>(
            () => trainer.Train(Data, TestModels.Sgd(steps: 1), new DpSgdOptions(clipNorm, noiseMultiplier), CancellationToken.None));

        Assert.Equal(TrainerErrorCode.InvalidArgument, error.Code);
        Assert.Contains($"{field} must be a finite number > 0", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, TestModels.Parameters(trainer));
    }

    [Fact]
    public void Batch_size_above_the_example_count_is_rejected()
    {
        using var trainer = TestModels.CreateTiny();

        var error = Assert.Throws<TrainerException>(
            () => trainer.Train(Data.Take(64), TestModels.Sgd(steps: 1, batchSize: 65), new DpSgdOptions(1, 1), CancellationToken.None));

        Assert.Equal(TrainerErrorCode.InvalidArgument, error.Code);
        Assert.Contains("batch_size 65 exceeds the 64 examples", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancelling_mid_round_stops_promptly_and_the_trainer_stays_usable()
    {
        using var trainer = TestModels.CreateTiny();
        using var cts = new CancellationTokenSource();
        cts.CancelAfter(TimeSpan.FromMilliseconds(200));

        var error = Assert.ThrowsAny<OperationCanceledException>(
            () => trainer.Train(Data, TestModels.Sgd(steps: 1_000_000), new DpSgdOptions(1, 1), cts.Token));

        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.Contains("cancelled after", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, trainer.Train(Data, TestModels.Sgd(steps: 2), new DpSgdOptions(1, 1), CancellationToken.None).DpSgd!.Steps);
    }

    [Fact]
    public void Moderate_noise_still_learns_the_synthetic_classes()
    {
        using var trainer = TestModels.CreateTiny(seed: 3);
        EvalResult before = trainer.Evaluate(Data, 250);

        // q = 0.1, sigma = 1: each step's mean gradient carries noise of sd 0.02 per coordinate.
        TrainResult result = trainer.Train(Data, TestModels.Sgd(epochs: 6, batchSize: 50, learningRate: 0.1f), new DpSgdOptions(1, 1), CancellationToken.None);
        EvalResult after = trainer.Evaluate(Data, 250);

        Assert.Equal(60, result.Steps);
        Assert.True(after.MeanLoss < before.MeanLoss / 2, $"loss {before.MeanLoss} -> {after.MeanLoss}");
        Assert.True(after.Accuracy > 0.9, $"accuracy {before.Accuracy} -> {after.Accuracy}");
    }

    [Fact]
    public void A_trainer_without_dp_sgd_trains_plainly_for_null_and_refuses_options()
    {
        using var trainer = new PlainOnlyTrainer();
        ILocalTrainer local = trainer;

        Assert.Equal(1, local.Train(Data, TestModels.Sgd(steps: 1), dpSgd: null, CancellationToken.None).Steps);
        Assert.Throws<NotSupportedException>(() => local.Train(Data, TestModels.Sgd(steps: 1), new DpSgdOptions(1, 1), CancellationToken.None));
    }

    private static double[] Difference(float[] before, float[] after) =>
        [.. before.Zip(after, (b, a) => (double)a - b)];

    private static double Norm(double[] values) => Math.Sqrt(values.Sum(v => v * v));

    /// <summary>An implementation written before DP-SGD existed: only the original members.</summary>
    private sealed class PlainOnlyTrainer : ILocalTrainer
    {
        public ParameterManifest Manifest { get; } = new([]);

        public long ParameterCount => 0;

        public void GetParameters(Span<float> destination)
        {
        }

        public void SetParameters(ReadOnlySpan<float> source)
        {
        }

        public TrainResult Train(ImageDataset data, TrainingConfig config, CancellationToken cancellationToken) =>
            new(0, 0, config.LocalSteps, 0, 0);

        public EvalResult Evaluate(ImageDataset data, int batchSize) => new(0, 0, 0, [], []);

        public void Dispose()
        {
        }
    }
}
