using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>Mirror of <c>ft_train_result</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FtTrainResult
{
    public double MeanLoss;
    public double Accuracy;
    public long Steps;
    public long Examples;
    public double Seconds;
}
