using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>
/// Every entry point of libfedtrain_trainer (Worker/native/include/fedtrain_trainer.h). Nothing outside this folder
/// calls native code. Buffers are raw pointers because callers pin them only for the duration of a call.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string LibraryName = "fedtrain_trainer";

    /// <summary>FT_ABI_VERSION this binding was written against.</summary>
    internal const int ExpectedAbiVersion = 5;

    [LibraryImport(LibraryName, EntryPoint = "ft_abi_version")]
    internal static partial int AbiVersion();

    [LibraryImport(LibraryName, EntryPoint = "ft_last_error")]
    internal static partial byte* LastError();

    [LibraryImport(LibraryName, EntryPoint = "ft_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Create(string spec, string device, int numThreads, ulong seed, out TrainerHandle trainer);

    [LibraryImport(LibraryName, EntryPoint = "ft_destroy")]
    internal static partial void Destroy(nint trainer);

    [LibraryImport(LibraryName, EntryPoint = "ft_describe")]
    internal static partial int Describe(TrainerHandle trainer, FtModelInfo* info);

    [LibraryImport(LibraryName, EntryPoint = "ft_manifest_json")]
    internal static partial int ManifestJson(TrainerHandle trainer, byte* buffer, long capacity, out long required);

    [LibraryImport(LibraryName, EntryPoint = "ft_get_parameters")]
    internal static partial int GetParameters(TrainerHandle trainer, float* destination, long count);

    [LibraryImport(LibraryName, EntryPoint = "ft_set_parameters")]
    internal static partial int SetParameters(TrainerHandle trainer, float* source, long count);

    [LibraryImport(LibraryName, EntryPoint = "ft_train")]
    internal static partial int Train(
        TrainerHandle trainer,
        float* images,
        long* labels,
        long count,
        FtTrainOptions* options,
        int* cancelFlag,
        FtTrainResult* result);

    [LibraryImport(LibraryName, EntryPoint = "ft_train_dp")]
    internal static partial int TrainDp(
        TrainerHandle trainer,
        float* images,
        long* labels,
        long count,
        FtTrainOptions* options,
        FtDpOptions* dp,
        int* cancelFlag,
        FtTrainResult* result,
        FtDpResult* dpResult);

    [LibraryImport(LibraryName, EntryPoint = "ft_evaluate")]
    internal static partial int Evaluate(
        TrainerHandle trainer,
        float* images,
        long* labels,
        long count,
        int batchSize,
        long* perClassCorrect,
        long* perClassTotal,
        FtEvalResult* result);

    [LibraryImport(LibraryName, EntryPoint = "ft_evaluate_parameters")]
    internal static partial int EvaluateParameters(
        TrainerHandle trainer,
        float* parameters,
        long parameterCount,
        float* images,
        long* labels,
        long count,
        int batchSize,
        long* perClassCorrect,
        long* perClassTotal,
        FtEvalResult* result);

    /// <summary>The calling thread's last native error message; read it before the next native call.</summary>
    internal static string LastErrorMessage()
    {
        string? message = Marshal.PtrToStringUTF8((nint)LastError());
        return string.IsNullOrEmpty(message) ? "(no message)" : message;
    }
}
