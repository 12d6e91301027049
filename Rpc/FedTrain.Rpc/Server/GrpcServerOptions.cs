namespace FedTrain.Rpc;

/// <summary>Server-wide settings for a <see cref="GrpcRouter"/>.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>Largest request message accepted, in bytes (after decompression). Default 4 MiB, as in every gRPC stack.</summary>
    public int MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest total of request bytes (framed messages) one call may send; null = unlimited.</summary>
    public long? MaxReceiveStreamSize { get; set; }

    /// <summary>Largest response message sent, in bytes; null = unlimited (the gRPC default).</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>
    /// Runs before every handler, after the request headers are parsed and before any request message is read.
    /// Throw <see cref="RpcException"/> to refuse the call (e.g. UNAUTHENTICATED); it is answered Trailers-Only.
    /// </summary>
    public Func<ServerCallContext, ValueTask>? Interceptor { get; set; }

    /// <summary>Clock for <c>grpc-timeout</c> deadlines.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (MaxReceiveMessageSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageSize), MaxReceiveMessageSize, "Must be positive.");
        }

        if (MaxSendMessageSize is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSendMessageSize), MaxSendMessageSize, "Must be positive or null.");
        }

        if (MaxReceiveStreamSize is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveStreamSize), MaxReceiveStreamSize, "Must be positive or null.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
