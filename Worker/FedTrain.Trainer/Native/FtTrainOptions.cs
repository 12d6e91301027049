using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>Mirror of <c>ft_train_options</c> (40 bytes; <see cref="ProximalMu"/> sits where ABI 2 had padding).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FtTrainOptions
{
    public int LocalEpochs;
    public int LocalSteps;
    public int BatchSize;
    public float LearningRate;
    public int Optimizer;
    public float Momentum;
    public float WeightDecay;
    public float ProximalMu;
    public ulong Seed;
}
