using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>Mirror of <c>ft_model_info</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FtModelInfo
{
    public const int MaxInputRank = 4;

    public long ParameterCount;
    public long ExampleLength;
    public int Classes;
    public int InputRank;
    public fixed long InputShape[MaxInputRank];
}
