namespace FedTrain.Protos.Payloads;

/// <summary>A streamed payload was malformed; <see cref="Error"/> says how.</summary>
public sealed class PayloadException : Exception
{
    public PayloadException(PayloadError error, string message)
        : base(message) => Error = error;

    public PayloadException()
    {
    }

    public PayloadException(string message)
        : base(message)
    {
    }

    public PayloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PayloadError Error { get; }
}
