namespace FedTrain.Trainer;

/// <summary>A failure reported by the native trainer, carrying its status code and message.</summary>
public sealed class TrainerException : Exception
{
    public TrainerException()
        : this(TrainerErrorCode.Internal, "The native trainer failed.")
    {
    }

    public TrainerException(string message)
        : this(TrainerErrorCode.Internal, message)
    {
    }

    public TrainerException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = TrainerErrorCode.Internal;
    }

    public TrainerException(TrainerErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    public TrainerErrorCode Code { get; }
}
