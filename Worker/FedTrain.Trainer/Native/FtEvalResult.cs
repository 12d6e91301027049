using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>Mirror of <c>ft_eval_result</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FtEvalResult
{
    public double MeanLoss;
    public double Accuracy;
    public long Examples;
}
