using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>The streamed entry points: the native loop asks the caller for each batch through an <c>ft_fill_fn</c>.</summary>
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName, EntryPoint = "ft_train_streamed")]
    internal static partial int TrainStreamed(
        TrainerHandle trainer,
        delegate* unmanaged[Cdecl]<nint, long*, long, float*, long*, int> fill,
        nint context,
        long count,
        FtTrainOptions* options,
        int* cancelFlag,
        FtTrainResult* result);

    [LibraryImport(LibraryName, EntryPoint = "ft_evaluate_streamed")]
    internal static partial int EvaluateStreamed(
        TrainerHandle trainer,
        delegate* unmanaged[Cdecl]<nint, long*, long, float*, long*, int> fill,
        nint context,
        long count,
        int batchSize,
        long* perClassCorrect,
        long* perClassTotal,
        FtEvalResult* result);
}
