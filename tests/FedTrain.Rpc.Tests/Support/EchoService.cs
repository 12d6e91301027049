using System.Collections.Concurrent;
using FedTrain.Rpc.Tests.Echo;
using Google.Protobuf;

namespace FedTrain.Rpc.Tests.Support;

/// <summary>
/// The C# test server's behaviour; tests/interop/echo_server.py mirrors it for the Python peer.
/// Unary replies carry the request's <c>x-*</c> metadata in their text, as <c>text;key=value</c> (bytes as hex).
/// </summary>
internal sealed class EchoService
{
    public static readonly byte[] ErrorBinTrailer = [0x00, 0x01, 0xFE, 0xFF];

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _cancelled = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();

    public void Map(GrpcRouter router)
    {
        router.MapUnary(EchoMethods.Unary, UnaryAsync);
        router.MapServerStreaming(EchoMethods.ServerStream, ServerStreamAsync);
        router.MapClientStreaming(EchoMethods.ClientStream, ClientStreamAsync);
        router.MapClientStreamingPayloads(EchoMethods.RawClientStream, RawClientStreamAsync);
        router.MapDuplexStreaming(EchoMethods.Duplex, DuplexAsync);
    }

    /// <summary>Completes when a handler for a request with this text saw its cancellation token fire.</summary>
    public Task WaitForServerCancellationAsync(string text) =>
        Probe(_cancelled, text).Task.WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>
    /// Completes when a handler for a request with this text began its delay: a caller that cancels before then may
    /// cancel a call the server never dispatched, which a loaded machine makes likely.
    /// </summary>
    public Task WaitForServerDelayAsync(string text) =>
        Probe(_started, text).Task.WaitAsync(TimeSpan.FromSeconds(30));

    public static string DescribeMetadata(string text, Metadata metadata)
    {
        var parts = metadata
            .Where(e => e.Key.StartsWith("x-", StringComparison.Ordinal))
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => e.Key + "=" + (e.ValueBytes is { } b ? Convert.ToHexStringLower(b) : e.Value));
        return string.Join(';', new[] { text }.Concat(parts));
    }

    private async Task<EchoMessage> UnaryAsync(EchoMessage request, ServerCallContext context)
    {
        await DelayAsync(request, context);
        if (request.Text == "throw")
        {
            throw new InvalidOperationException("secret internal detail");
        }

        FailIfAsked(request, context);
        context.ResponseTrailers.Add("x-served-by", "csharp");
        if (context.RequestHeaders.GetBytes("x-trace-bin") is { } trace)
        {
            context.ResponseTrailers.Add("x-trace-bin", trace);
        }

        return new EchoMessage
        {
            Text = DescribeMetadata(request.Text, context.RequestHeaders),
            Payload = request.Payload,
            Values = { request.Values },
        };
    }

    private async Task ServerStreamAsync(EchoMessage request, IServerStreamWriter<EchoMessage> writer, ServerCallContext context)
    {
        await DelayAsync(request, context);
        for (var i = 0; i < request.ResponseCount; i++)
        {
            if (request.FailCode != 0 && i == request.FailAfter)
            {
                FailIfAsked(request, context);
            }

            var payload = new byte[request.ResponseSize];
            payload.AsSpan().Fill((byte)i);
            await writer.WriteAsync(new EchoMessage { Count = i, Payload = UnsafeByteOperations.UnsafeWrap(payload) }, context.CancellationToken);
        }

        FailIfAsked(request, context);
    }

    private static async Task<EchoMessage> ClientStreamAsync(IAsyncEnumerable<EchoMessage> requests, ServerCallContext context)
    {
        var reply = new EchoMessage();
        var texts = new List<string>();
        await foreach (var request in requests.WithCancellation(context.CancellationToken))
        {
            FailIfAsked(request, context);
            reply.Count++;
            reply.TotalBytes += request.Payload.Length;
            texts.Add(request.Text);
        }

        reply.Text = string.Join(',', texts);
        return reply;
    }

    /// <summary>
    /// ClientStream over the raw-payload path: the same reply, plus in <c>values</c> each message's serialized size and
    /// the number of buffer segments it was lent in (more than one shows it was not gathered into one array).
    /// </summary>
    private static async Task<EchoMessage> RawClientStreamAsync(RequestPayloadReader requests, ServerCallContext context)
    {
        var reply = new EchoMessage();
        var texts = new List<string>();
        while (await requests.MoveNextAsync(context.CancellationToken))
        {
            var payload = requests.Current;
            EchoMessage request;
            try
            {
                request = EchoMessage.Parser.ParseFrom(payload);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new RpcException(StatusCode.Internal, "Failed to parse an EchoMessage: " + ex.Message);
            }

            FailIfAsked(request, context);
            int segments = 0;
            foreach (var unused in payload)
            {
                segments++;
            }

            reply.Count++;
            reply.TotalBytes += request.Payload.Length;
            reply.Values.Add(payload.Length);
            reply.Values.Add(segments);
            texts.Add(request.Text);
        }

        reply.Text = string.Join(',', texts);
        return reply;
    }

    private static async Task DuplexAsync(
        IAsyncEnumerable<EchoMessage> requests, IServerStreamWriter<EchoMessage> writer, ServerCallContext context)
    {
        var index = 0;
        await foreach (var request in requests)
        {
            FailIfAsked(request, context);
            await writer.WriteAsync(new EchoMessage { Text = request.Text, Count = index++ });
        }
    }

    private static void FailIfAsked(EchoMessage request, ServerCallContext context)
    {
        if (request.FailCode == 0)
        {
            return;
        }

        var trailers = new Metadata
        {
            { "x-error-detail", "detail-text" },
            { "x-error-bin", ErrorBinTrailer },
        };
        throw new RpcException((StatusCode)request.FailCode, request.FailMessage, trailers);
    }

    private async Task DelayAsync(EchoMessage request, ServerCallContext context)
    {
        if (request.DelayMs <= 0)
        {
            return;
        }

        Probe(_started, request.Text).TrySetResult();
        try
        {
            await Task.Delay(request.DelayMs, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            Probe(_cancelled, request.Text).TrySetResult();
            throw;
        }
    }

    private static TaskCompletionSource Probe(ConcurrentDictionary<string, TaskCompletionSource> probes, string text) =>
        probes.GetOrAdd(text, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
