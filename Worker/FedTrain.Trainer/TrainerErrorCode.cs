namespace FedTrain.Trainer;

/// <summary>The native trainer's status codes (<c>ft_status</c> in fedtrain_trainer.h).</summary>
public enum TrainerErrorCode
{
    None = 0,

    /// <summary>Bad spec string, count mismatch, label out of range, invalid hyperparameter, ...</summary>
    InvalidArgument = 1,

    /// <summary>An output buffer was too small (handled inside the adapter).</summary>
    BufferTooSmall = 2,

    /// <summary>Training was cancelled; surfaced as <see cref="OperationCanceledException"/>.</summary>
    Cancelled = 3,

    /// <summary>The device is unknown or unavailable, e.g. CUDA on a CPU-only build.</summary>
    Device = 4,

    /// <summary>Training diverged: the loss became NaN or infinite.</summary>
    NonFinite = 5,

    /// <summary>Anything else libtorch reported, or a mismatched native library.</summary>
    Internal = 6,
}
