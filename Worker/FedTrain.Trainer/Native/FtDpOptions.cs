using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>Mirror of <c>ft_dp_options</c> (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FtDpOptions
{
    public double ClipNorm;
    public double NoiseMultiplier;
    public ulong InsecureTestSeed;
}
