using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>Mirror of <c>ft_dp_result</c> (48 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FtDpResult
{
    public long Steps;
    public double SamplingRate;
    public double NoiseMultiplier;
    public double ClipNorm;
    public double NoiseGranularity;
    public int InsecureSeeded;
    public int Reserved;
}
