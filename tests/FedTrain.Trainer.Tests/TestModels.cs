using FedTrain.Core.Models;

namespace FedTrain.Trainer.Tests;

internal static class TestModels
{
    /// <summary>conv=4,8 hidden=16: about 7k parameters, around a millisecond per step, enough to learn the synthetic classes.</summary>
    public static ModelSpec Tiny { get; } = new("cnn", 1, 28, 28, 10, [4, 8], 16);

    public static TrainingConfig Sgd(int epochs = 0, int steps = 0, int batchSize = 32, float learningRate = 0.05f, ulong seed = 7) =>
        new(epochs, steps, batchSize, learningRate, "sgd", 0.9f, 0f, seed);

    public static NativeTrainer CreateTiny(ulong seed = 1) => NativeTrainer.Create(Tiny, new TrainerOptions(Threads: 2, Seed: seed));

    public static float[] Parameters(ILocalTrainer trainer)
    {
        var buffer = new float[trainer.ParameterCount];
        trainer.GetParameters(buffer);
        return buffer;
    }
}
