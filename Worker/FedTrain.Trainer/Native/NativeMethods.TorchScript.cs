using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>The entry points of fedtrain_trainer.h's last block: batch order, logits and export.</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName, EntryPoint = "ft_set_shuffle")]
    internal static partial int SetShuffle(TrainerHandle trainer, int shuffle);

    [LibraryImport(LibraryName, EntryPoint = "ft_logits")]
    internal static partial int Logits(TrainerHandle trainer, float* images, long count, float* logits, long capacity);

    [LibraryImport(LibraryName, EntryPoint = "ft_save_state_dict", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SaveStateDict(TrainerHandle trainer, string path);

    [LibraryImport(LibraryName, EntryPoint = "ft_save_torchscript", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SaveTorchScript(TrainerHandle trainer, string path);
}
