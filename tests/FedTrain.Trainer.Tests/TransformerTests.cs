using FedTrain.Core.Data;
using FedTrain.Core.Models;

namespace FedTrain.Trainer.Tests;

/// <summary>The ViT and the byte-level LM through the .NET adapter: shapes, learning, and FedProx's μ reaching the loop.</summary>
public sealed class TransformerTests
{
    private static readonly ModelSpec TinyVit = ModelSpec.Parse("kind=vit;in=1,28,28;classes=10;patch=7;dim=16;depth=1;heads=2;mlp=32");
    private static readonly ModelSpec TinyLm = ModelSpec.Parse("kind=lm;vocab=256;seq=32;dim=32;depth=1;heads=2;mlp=64");

    [Fact]
    public void Vit_learns_fashion_mnist_from_a_few_steps()
    {
        // Real images: the synthetic set tells its classes apart by position alone, which a ViT must first learn
        // through its position embeddings, while Fashion-MNIST's classes differ in content.
        var train = FashionMnist.Load(FashionMnist.DefaultDirectory, train: true, limit: 1000);
        var test = FashionMnist.Load(FashionMnist.DefaultDirectory, train: false, limit: 500);
        using var trainer = NativeTrainer.Create(ModelSpec.FashionMnistVit, new TrainerOptions(Threads: 2, Seed: 3));
        Assert.Equal([1L, 28, 28], trainer.InputShape);
        Assert.Equal("cls_token", trainer.Manifest.Tensors[0].Name);
        Assert.Equal(72_074, trainer.ParameterCount);
        EvalResult before = trainer.Evaluate(test, 250);

        trainer.Train(train, TrainingPresets.Vit with { LocalSteps = 40 }, CancellationToken.None);
        EvalResult after = trainer.Evaluate(test, 250);

        // Measured: about 0.43 after 25 such steps, 0.52 after 50; chance is 0.1.
        Assert.True(after.MeanLoss < before.MeanLoss - 0.3, $"loss {before.MeanLoss} -> {after.MeanLoss}");
        Assert.True(after.Accuracy > 0.3, $"accuracy {before.Accuracy} -> {after.Accuracy}");
    }

    [Fact]
    public void Lm_lowers_perplexity_on_held_out_fortunes()
    {
        int window = TinyLm.InputShape.Width;
        var train = TextCorpus.Load(TextCorpus.FortunesDirectory, window, train: true, limit: 600);
        var test = TextCorpus.Load(TextCorpus.FortunesDirectory, window, train: false, limit: 200);
        Assert.Equal((1, 1, 33), (train.Channels, train.Height, train.Width));
        using var trainer = NativeTrainer.Create(TinyLm, new TrainerOptions(Threads: 2, Seed: 3));
        EvalResult before = trainer.Evaluate(test, 100);

        TrainResult result = trainer.Train(train, new TrainingConfig(0, 60, 32, 0.003f, "adam", 0f, 0f, 5), CancellationToken.None);
        EvalResult after = trainer.Evaluate(test, 100);

        // A uniform guess over bytes is perplexity 256; English text drops fast once letters and spaces are learnt.
        Assert.InRange(Math.Exp(before.MeanLoss), 200, 320);
        Assert.True(Math.Exp(after.MeanLoss) < 40, $"perplexity {Math.Exp(before.MeanLoss)} -> {Math.Exp(after.MeanLoss)}");
        Assert.Equal(200 * 32, after.PerClassTotal.Sum());
        Assert.InRange(result.Accuracy, 0.05, 1.0);
    }

    [Fact]
    public void Proximal_mu_keeps_training_closer_to_the_start()
    {
        var data = SyntheticImages.Create(256);
        double Drift(float mu)
        {
            using var trainer = NativeTrainer.Create(TinyVit, new TrainerOptions(Threads: 2, Seed: 4));
            float[] start = TestModels.Parameters(trainer);
            trainer.Train(data, new TrainingConfig(0, 20, 32, 0.05f, "sgd", 0f, 0f, 5) { ProximalMu = mu }, CancellationToken.None);
            float[] end = TestModels.Parameters(trainer);
            return Math.Sqrt(start.Zip(end, (a, b) => (double)(a - b) * (a - b)).Sum());
        }

        double plain = Drift(0f), proximal = Drift(2f);
        Assert.True(proximal < 0.9 * plain, $"drift with mu=2 {proximal}, without {plain}");
    }

    [Fact]
    public void Negative_proximal_mu_is_refused_by_the_native_trainer()
    {
        using var trainer = NativeTrainer.Create(TinyVit, new TrainerOptions(Threads: 1, Seed: 4));
        var error = Assert.Throws<TrainerException>(() => trainer.Train(
            SyntheticImages.Create(16), TestModels.Sgd(steps: 1) with { ProximalMu = -1f }, CancellationToken.None));
        Assert.Equal(TrainerErrorCode.InvalidArgument, error.Code);
        Assert.Contains("proximal_mu", error.Message, StringComparison.Ordinal);
    }
}
