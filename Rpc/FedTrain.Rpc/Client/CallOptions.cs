namespace FedTrain.Rpc;

/// <summary>Per-call settings.</summary>
/// <param name="Headers">Custom metadata sent as request headers.</param>
/// <param name="Timeout">
/// Deadline relative to the start of the call; sent as <c>grpc-timeout</c> and enforced locally
/// (DEADLINE_EXCEEDED). Null or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> = no deadline.
/// </param>
/// <param name="CancellationToken">Cancels the call (CANCELLED); the server sees RST_STREAM(CANCEL).</param>
public readonly record struct CallOptions(
    Metadata? Headers = null,
    TimeSpan? Timeout = null,
    CancellationToken CancellationToken = default);
