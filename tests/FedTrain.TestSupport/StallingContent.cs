using System.Net;
using System.Net.Http.Headers;

namespace FedTrain.TestSupport;

/// <summary>A request body that sends its bytes, then neither sends more nor ends: a half-sent message held open.</summary>
public sealed class StallingContent : HttpContent
{
    private readonly byte[] _bytes;
    private readonly CancellationToken _release;

    /// <param name="release">Ends the stall (the test is over).</param>
    public StallingContent(byte[] bytes, CancellationToken release)
    {
        _bytes = bytes;
        _release = release;
        Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(_bytes, cancellationToken);
        await stream.FlushAsync(cancellationToken);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _release);
        try
        {
            await Task.Delay(Timeout.Infinite, linked.Token);
        }
        catch (OperationCanceledException)
        {
            // The server ended the call or the test released the stall: either way the body stops here.
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
