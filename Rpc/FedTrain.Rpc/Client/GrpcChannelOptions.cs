namespace FedTrain.Rpc;

/// <summary>Settings for a <see cref="GrpcChannel"/>.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>Largest response message accepted, in bytes (after decompression). Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Called for every request before it is sent, e.g. to set <c>Authorization: Bearer …</c>.
    /// Runs under the call's cancellation token (deadline included).
    /// </summary>
    public Func<HttpRequestMessage, CancellationToken, ValueTask>? CallCredentials { get; set; }

    /// <summary>
    /// The HTTP handler to send through (TLS options, tests). The channel does not dispose it.
    /// Null = a <see cref="SocketsHttpHandler"/> tuned for gRPC, owned by the channel.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Clock for call deadlines.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (MaxReceiveMessageSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageSize), MaxReceiveMessageSize, "Must be positive.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
