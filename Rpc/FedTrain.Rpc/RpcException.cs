namespace FedTrain.Rpc;

/// <summary>
/// A call that ended with a non-OK gRPC status. Servers throw it from handlers to choose the status;
/// clients receive it for every failure, local (deadline, cancellation, connection) or remote.
/// </summary>
#pragma warning disable CA1032 // A status is required; the parameterless constructors would make a meaningless exception.
public sealed class RpcException : Exception
#pragma warning restore CA1032
{
    /// <param name="status">The status to report; <see cref="StatusCode.OK"/> is not an error and is refused.</param>
    /// <param name="detail">Human-readable text sent as <c>grpc-message</c> (any Unicode; it is percent-encoded on the wire).</param>
    /// <param name="trailers">Trailing metadata to send with the status, or received with it.</param>
    public RpcException(StatusCode status, string detail, Metadata? trailers = null)
        : this(status, detail, trailers, innerException: null)
    {
    }

    /// <param name="status">The status to report; not <see cref="StatusCode.OK"/>.</param>
    /// <param name="detail">Text sent as <c>grpc-message</c>.</param>
    /// <param name="trailers">Trailing metadata, or null for none.</param>
    /// <param name="innerException">The cause, kept for the server's log; it never reaches the client.</param>
    public RpcException(StatusCode status, string detail, Metadata? trailers, Exception? innerException)
        : base(FormatMessage(status, detail), innerException)
    {
        if (status == StatusCode.OK)
        {
            throw new ArgumentOutOfRangeException(nameof(status), "An RpcException cannot carry the OK status.");
        }

        Status = status;
        Detail = detail ?? string.Empty;
        Trailers = trailers ?? new Metadata();
    }

    public StatusCode Status { get; }

    public string Detail { get; }

    /// <summary>Trailing metadata; never null (empty when there was none).</summary>
    public Metadata Trailers { get; }

    private static string FormatMessage(StatusCode status, string? detail) =>
        $"Status(StatusCode=\"{status}\", Detail=\"{detail}\")";
}
