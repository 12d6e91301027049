using System.Globalization;
using FedTrain.Core.Data;
using FedTrain.Core.Models;
using FedTrain.Trainer.Native;

namespace FedTrain.Trainer;

/// <summary>
/// <see cref="ILocalTrainer"/> over the libtorch trainer in libfedtrain_trainer: one native call per round, so
/// interop costs nothing per step. Not thread-safe; each call blocks its thread for the whole round, so run rounds
/// on a dedicated thread. Datasets are pinned only while a call runs and are never copied on CPU.
/// </summary>
public sealed unsafe partial class NativeTrainer : ILocalTrainer
{
    private readonly TrainerHandle _handle;
    private readonly long[] _inputShape;

    // Polled by the native loop between steps; on the pinned heap so a token callback on any thread can set it
    // while the native side holds its address.
    private readonly int[] _cancelFlag = GC.AllocateArray<int>(1, pinned: true);
    private bool _shuffle = true;

    private NativeTrainer(TrainerHandle handle, ParameterManifest manifest, long[] inputShape, int classes)
    {
        _handle = handle;
        Manifest = manifest;
        _inputShape = inputShape;
        Classes = classes;
    }

    public ParameterManifest Manifest { get; }

    public long ParameterCount => Manifest.TotalElements;

    /// <summary>Number of output classes; labels must lie in [0, Classes).</summary>
    public int Classes { get; }

    /// <summary>Shape of one input example, e.g. [channels, height, width].</summary>
    public IReadOnlyList<long> InputShape => _inputShape;

    /// <summary>Builds and seeds the model <paramref name="spec"/> describes.</summary>
    /// <exception cref="TrainerException">The spec or device was rejected (e.g. <c>cuda</c> without CUDA).</exception>
    /// <exception cref="DllNotFoundException">libfedtrain_trainer or libtorch could not be found or loaded.</exception>
    public static NativeTrainer Create(ModelSpec spec, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Create(spec.ToNativeSpec(), options);
    }

    /// <summary>Builds a model from a native spec string such as <c>kind=cnn;in=1,28,28;classes=10;conv=32,64;hidden=128</c>.</summary>
    public static NativeTrainer Create(string nativeSpec, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(nativeSpec);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Device);
        NativeLibraryResolver.EnsureLoaded();
        int abi = NativeMethods.AbiVersion();
        if (abi != NativeMethods.ExpectedAbiVersion)
        {
            throw new TrainerException(
                TrainerErrorCode.Internal,
                $"{NativeLibraryResolver.LoadedPath} implements ABI version {abi}, this adapter needs " +
                $"{NativeMethods.ExpectedAbiVersion}; rebuild it with scripts/build-native.sh.");
        }

        int status = NativeMethods.Create(nativeSpec, options.Device, options.Threads, options.Seed, out TrainerHandle handle);
        if (status != 0)
        {
            var error = Failure(status, "Create");
            handle.Dispose();
            throw error;
        }

        try
        {
            FtModelInfo info;
            ThrowOnError(NativeMethods.Describe(handle, &info), "Describe");
            var inputShape = new long[info.InputRank];
            for (int i = 0; i < inputShape.Length; i++)
            {
                inputShape[i] = info.InputShape[i];
            }

            ParameterManifest manifest = ReadManifest(handle);
            if (manifest.TotalElements != info.ParameterCount)
            {
                throw new TrainerException(
                    TrainerErrorCode.Internal,
                    $"Manifest describes {manifest.TotalElements} parameters but the model has {info.ParameterCount}.");
            }

            return new NativeTrainer(handle, manifest, inputShape, info.Classes);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void GetParameters(Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        CheckParameterLength(destination.Length);
        fixed (float* pointer = destination)
        {
            ThrowOnError(NativeMethods.GetParameters(_handle, pointer, destination.Length), "GetParameters");
        }
    }

    public void SetParameters(ReadOnlySpan<float> source)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        CheckParameterLength(source.Length);
        fixed (float* pointer = source)
        {
            ThrowOnError(NativeMethods.SetParameters(_handle, pointer, source.Length), "SetParameters");
        }
    }

    public TrainResult Train(ImageDataset data, TrainingConfig config, CancellationToken cancellationToken) =>
        Train(data, config, dpSgd: null, cancellationToken);

    public TrainResult Train(ImageDataset data, TrainingConfig config, DpSgdOptions? dpSgd, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(config);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        cancellationToken.ThrowIfCancellationRequested();
        CheckGeometry(data);
        // Hyperparameter checks live in the native library, so every caller gets the same rules and messages.
        var options = new FtTrainOptions
        {
            LocalEpochs = config.LocalEpochs,
            LocalSteps = config.LocalSteps,
            BatchSize = config.BatchSize,
            LearningRate = config.LearningRate,
            Optimizer = OptimizerCode(config.Optimizer),
            Momentum = config.Momentum,
            WeightDecay = config.WeightDecay,
            ProximalMu = config.ProximalMu,
            Seed = config.Seed,
        };
        var dpOptions = dpSgd is null ? default : new FtDpOptions
        {
            ClipNorm = dpSgd.ClipNorm,
            NoiseMultiplier = dpSgd.NoiseMultiplier,
            InsecureTestSeed = dpSgd.InsecureTestSeed,
        };

        if (data.IsLazy)
        {
            return TrainStreamed(data, options, dpSgd, cancellationToken);
        }

        Volatile.Write(ref _cancelFlag[0], 0);
        FtTrainResult result;
        FtDpResult dpResult = default;
        int status;
        string? message = null;
        using (cancellationToken.UnsafeRegister(static flag => Volatile.Write(ref ((int[])flag!)[0], 1), _cancelFlag))
        {
            fixed (float* images = data.Images)
            fixed (long* labels = data.Labels)
            fixed (int* flag = _cancelFlag)
            {
                status = dpSgd is null
                    ? NativeMethods.Train(_handle, images, labels, data.Count, &options, flag, &result)
                    : NativeMethods.TrainDp(_handle, images, labels, data.Count, &options, &dpOptions, flag, &result, &dpResult);
                if (status != 0)
                {
                    message = NativeMethods.LastErrorMessage();
                }
            }
        }

        if (status == (int)TrainerErrorCode.Cancelled)
        {
            throw new OperationCanceledException(message, cancellationToken);
        }

        if (status != 0)
        {
            throw Failure(status, "Train", message);
        }

        DpSgdReport? report = dpSgd is null
            ? null
            : new DpSgdReport(dpResult.Steps, dpResult.SamplingRate, dpResult.NoiseMultiplier, dpResult.ClipNorm);
        return new TrainResult(result.MeanLoss, result.Accuracy, result.Steps, result.Examples, result.Seconds, report);
    }

    public EvalResult Evaluate(ImageDataset data, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.IsLazy)
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            CheckGeometry(data);
            return EvaluateStreamed(data, batchSize);
        }

        return Score(data, batchSize, ReadOnlySpan<float>.Empty, borrowed: false);
    }

    /// <summary>
    /// Scores <paramref name="parameters"/> without copying them: the native model reads them in place during the
    /// call. On CPU the trainer then gives its own parameter memory back (one model size less for a coordinator
    /// that keeps the model anyway) and holds no parameters until <see cref="SetParameters"/>.
    /// </summary>
    public EvalResult EvaluateParameters(ReadOnlySpan<float> parameters, ImageDataset data, int batchSize)
    {
        CheckParameterLength(parameters.Length);
        return Score(data, batchSize, parameters, borrowed: true);
    }

    private EvalResult Score(ImageDataset data, int batchSize, ReadOnlySpan<float> parameters, bool borrowed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        CheckGeometry(data);
        var correct = new long[Classes];
        var total = new long[Classes];
        FtEvalResult result;
        fixed (float* model = parameters)
        fixed (float* images = data.Images)
        fixed (long* labels = data.Labels)
        fixed (long* correctPointer = correct)
        fixed (long* totalPointer = total)
        {
            int status = borrowed
                ? NativeMethods.EvaluateParameters(
                    _handle, model, parameters.Length, images, labels, data.Count, batchSize, correctPointer, totalPointer, &result)
                : NativeMethods.Evaluate(_handle, images, labels, data.Count, batchSize, correctPointer, totalPointer, &result);
            ThrowOnError(status, borrowed ? "EvaluateParameters" : "Evaluate");
        }

        return new EvalResult(result.MeanLoss, result.Accuracy, result.Examples, correct, total);
    }

    public void Dispose() => _handle.Dispose();

    private static ParameterManifest ReadManifest(TrainerHandle handle)
    {
        int status = NativeMethods.ManifestJson(handle, null, 0, out long required);
        if (status != (int)TrainerErrorCode.BufferTooSmall)
        {
            ThrowOnError(status, "ManifestJson");
        }

        var buffer = new byte[required];
        fixed (byte* pointer = buffer)
        {
            ThrowOnError(NativeMethods.ManifestJson(handle, pointer, buffer.Length, out _), "ManifestJson");
        }

        return ManifestJson.Parse(buffer.AsSpan(0, buffer.Length - 1));
    }

    private static int OptimizerCode(string optimizer) => optimizer switch
    {
        "sgd" => 0,
        "adam" => 1,
        _ => throw new TrainerException(
            TrainerErrorCode.InvalidArgument, $"Train failed (InvalidArgument): unknown optimizer '{optimizer}'; known: sgd, adam."),
    };

    private void CheckParameterLength(int length)
    {
        if (length != ParameterCount)
        {
            throw new TrainerException(
                TrainerErrorCode.InvalidArgument,
                $"Parameter buffer holds {length} floats; the model has {ParameterCount}.");
        }
    }

    // The native side trusts the buffer to hold Count examples of its input shape; this check is what makes
    // that true.
    private void CheckGeometry(ImageDataset data)
    {
        if (_inputShape is not [var channels, var height, var width]
            || data.Channels != channels || data.Height != height || data.Width != width)
        {
            throw new TrainerException(
                TrainerErrorCode.InvalidArgument,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Dataset images are {data.Channels}x{data.Height}x{data.Width}; the model expects {string.Join('x', _inputShape)}."));
        }
    }

    private static void ThrowOnError(int status, string operation)
    {
        if (status != 0)
        {
            throw Failure(status, operation);
        }
    }

    private static TrainerException Failure(int status, string operation, string? message = null)
    {
        message ??= NativeMethods.LastErrorMessage();
        var code = Enum.IsDefined((TrainerErrorCode)status) ? (TrainerErrorCode)status : TrainerErrorCode.Internal;
        return new TrainerException(code, $"{operation} failed ({code}): {message}");
    }
}
