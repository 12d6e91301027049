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
    /// Longest a unary call may run, whatever <c>grpc-timeout</c> its client sends (or none): it then ends
    /// DEADLINE_EXCEEDED. Null = only the client's deadline. A method's <see cref="CallLimits.MaxDuration"/> overrides it.
    /// </summary>
    public TimeSpan? MaxUnaryCallDuration { get; set; }

    /// <summary>
    /// Slowest a request message may arrive once its first bytes have, in bytes per second: a message must be
    /// complete within <see cref="RequestDataGracePeriod"/> plus its length divided by this rate, or the call ends
    /// DEADLINE_EXCEEDED. So a half-sent message is not held forever. Null = no minimum.
    /// </summary>
    public int? MinRequestDataRate { get; set; }

    /// <summary>Time every request message is given on top of its length at <see cref="MinRequestDataRate"/>.</summary>
    public TimeSpan RequestDataGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Largest inflated-to-compressed size ratio of a compressed request message that inflates past 64 KiB: above it
    /// the message is refused RESOURCE_EXHAUSTED while it inflates. Null = only the message size limit.
    /// </summary>
    public int? MaxDecompressionRatio { get; set; }

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

        if (MaxUnaryCallDuration is { } duration && duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxUnaryCallDuration), duration, "Must be positive or null.");
        }

        if (MinRequestDataRate is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MinRequestDataRate), MinRequestDataRate, "Must be positive or null.");
        }

        if (RequestDataGracePeriod < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RequestDataGracePeriod), RequestDataGracePeriod, "Must not be negative.");
        }

        if (MaxDecompressionRatio is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDecompressionRatio), MaxDecompressionRatio, "Must be positive or null.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
