using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>Mirror of <c>ft_train_options</c> (40 bytes; 4 bytes of padding before <see cref="Seed"/>).</summary>
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
    public ulong Seed;
}
