using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FedTrain.Core.Data;
using FedTrain.Trainer.Native;

namespace FedTrain.Trainer;

/// <summary>
/// Training and evaluation on a data set read on demand (<see cref="ImageDataset.IsLazy"/>): the native loop calls
/// back for each batch, so only a batch and the source's cache are in memory, never the whole data set.
/// </summary>
public sealed unsafe partial class NativeTrainer
{
    private TrainResult TrainStreamed(ImageDataset data, FtTrainOptions options, DpSgdOptions? dpSgd, CancellationToken cancellationToken)
    {
        if (dpSgd is not null)
        {
            // Poisson sampling draws its batches in the native loop from all n examples at once.
            throw new InvalidOperationException("DP-SGD needs the data in memory; leave out --cache-mb to train with DP-SGD.");
        }

        var state = new FillState(data);
        var handle = GCHandle.Alloc(state);
        try
        {
            Volatile.Write(ref _cancelFlag[0], 0);
            FtTrainResult result;
            int status;
            string? message = null;
            using (cancellationToken.UnsafeRegister(static flag => Volatile.Write(ref ((int[])flag!)[0], 1), _cancelFlag))
            {
                fixed (int* flag = _cancelFlag)
                {
                    status = NativeMethods.TrainStreamed(_handle, &Fill, GCHandle.ToIntPtr(handle), data.Count, &options, flag, &result);
                    if (status != 0)
                    {
                        message = NativeMethods.LastErrorMessage();
                    }
                }
            }

            state.ThrowIfFailed();
            if (status == (int)TrainerErrorCode.Cancelled)
            {
                throw new OperationCanceledException(message, cancellationToken);
            }

            if (status != 0)
            {
                throw Failure(status, "TrainStreamed", message);
            }

            return new TrainResult(result.MeanLoss, result.Accuracy, result.Steps, result.Examples, result.Seconds, null);
        }
        finally
        {
            handle.Free();
        }
    }

    private EvalResult EvaluateStreamed(ImageDataset data, int batchSize)
    {
        var correct = new long[Classes];
        var total = new long[Classes];
        var state = new FillState(data);
        var handle = GCHandle.Alloc(state);
        try
        {
            FtEvalResult result;
            int status;
            fixed (long* correctPointer = correct)
            fixed (long* totalPointer = total)
            {
                status = NativeMethods.EvaluateStreamed(
                    _handle, &Fill, GCHandle.ToIntPtr(handle), data.Count, batchSize, correctPointer, totalPointer, &result);
            }

            state.ThrowIfFailed();
            ThrowOnError(status, "EvaluateStreamed");
            return new EvalResult(result.MeanLoss, result.Accuracy, result.Examples, correct, total);
        }
        finally
        {
            handle.Free();
        }
    }

    // Called by the native loop on this thread for each batch. Exceptions must not cross into native code: the
    // first one is kept and rethrown once the native call has returned.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Fill(nint context, long* indices, long count, float* images, long* labels)
    {
        var state = (FillState)GCHandle.FromIntPtr(context).Target!;
        try
        {
            var rows = new ReadOnlySpan<long>(indices, checked((int)count));
            state.Data.Fill(rows, new Span<float>(images, checked((int)count * state.Data.PixelsPerImage)));
            for (int i = 0; i < rows.Length; i++)
            {
                labels[i] = state.Data.Labels[rows[i]];
            }

            return 0;
        }
#pragma warning disable CA1031 // Any failure of the data source is carried back to the caller's thread, not thrown into native code.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            state.Error ??= ex;
            return 1;
        }
    }

    private sealed class FillState(ImageDataset data)
    {
        public ImageDataset Data { get; } = data;

        public Exception? Error { get; set; }

        public void ThrowIfFailed()
        {
            if (Error is { } error)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
        }
    }
}
