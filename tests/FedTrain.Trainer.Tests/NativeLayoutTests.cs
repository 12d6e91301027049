using System.Runtime.InteropServices;
using FedTrain.Trainer.Native;

namespace FedTrain.Trainer.Tests;

/// <summary>The interop structs must match the C header byte for byte (the library static_asserts the same sizes).</summary>
public sealed unsafe class NativeLayoutTests
{
    [Fact]
    public void Structs_match_the_c_layout()
    {
        Assert.Equal(40, sizeof(FtTrainOptions));
        Assert.Equal(28, Marshal.OffsetOf<FtTrainOptions>(nameof(FtTrainOptions.ProximalMu)).ToInt32());
        Assert.Equal(32, Marshal.OffsetOf<FtTrainOptions>(nameof(FtTrainOptions.Seed)).ToInt32());
        Assert.Equal(40, sizeof(FtTrainResult));
        Assert.Equal(24, sizeof(FtEvalResult));
        Assert.Equal(56, sizeof(FtModelInfo));
        Assert.Equal(24, sizeof(FtDpOptions));
        Assert.Equal(16, Marshal.OffsetOf<FtDpOptions>(nameof(FtDpOptions.InsecureTestSeed)).ToInt32());
        Assert.Equal(48, sizeof(FtDpResult));
        Assert.Equal(40, Marshal.OffsetOf<FtDpResult>(nameof(FtDpResult.InsecureSeeded)).ToInt32());
    }
}
