namespace FedTrain.Rpc;

/// <summary>
/// The minimum data rate of incoming messages: once a message's first byte has arrived, the whole message must be
/// there within <paramref name="Grace"/> plus its length at <paramref name="MinBytesPerSecond"/>.
/// </summary>
internal sealed record MessagePacing(TimeProvider Time, int MinBytesPerSecond, TimeSpan Grace)
{
    /// <summary>When a message whose first bytes arrived at <paramref name="since"/> must be complete; its length is 0 until its prefix is visible.</summary>
    public DateTimeOffset DeadlineFor(DateTimeOffset since, long length) =>
        since + Grace + TimeSpan.FromSeconds((double)length / MinBytesPerSecond);

    public RpcException TooSlow(long received, long length) => new(
        StatusCode.DeadlineExceeded,
        $"A request message arrived slower than the minimum data rate ({received} of {length} bytes after {Grace.TotalSeconds:F0} s plus {MinBytesPerSecond} bytes/s)");
}
