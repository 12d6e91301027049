namespace FedTrain.Coordinator.Rounds;

/// <summary>An update was refused; the message is the reason shown to the worker and in the log.</summary>
public sealed class UpdateRejectedException : Exception
{
    public UpdateRejectedException(RejectionKind kind, string message)
        : base(message) => Kind = kind;

    public UpdateRejectedException()
    {
    }

    public UpdateRejectedException(string message)
        : base(message)
    {
    }

    public UpdateRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RejectionKind Kind { get; }
}
