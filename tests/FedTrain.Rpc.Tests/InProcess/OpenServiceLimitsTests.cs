using System.IO.Compression;
using System.Net;
using FedTrain.Rpc.Tests.Echo;
using FedTrain.Rpc.Tests.Support;
using FedTrain.TestSupport;
using Google.Protobuf;
using Grpc.Health.V1;

namespace FedTrain.Rpc.Tests.InProcess;

/// <summary>
/// What a caller without credentials can make the server hold, on the real server over loopback HTTP/2: health
/// requests, Watch streams, half-sent messages, unary calls without a deadline, compressed messages, connections.
/// </summary>
public sealed class OpenServiceLimitsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_gzipped_4_MiB_health_Watch_request_is_refused_at_its_length_prefix()
    {
        await using var server = await TestServer.StartAsync();
        // ~4 KB on the wire, a 4 MiB service name once inflated: what used to be kept for the life of the stream.
        byte[] compressed = Gzip(new HealthCheckRequest { Service = new string('a', (4 << 20) - 16) }.ToByteArray());
        using var client = RawGrpc.CreateClient();

        var response = await RawGrpc.SendAsync(
            client, server.Address, HealthService.WatchMethod.FullName, RawGrpc.Frame(compressed, flag: 1), headers: [("grpc-encoding", "gzip")]);

        Assert.Equal(StatusCode.ResourceExhausted, response.Status);
        Assert.Equal($"Received message larger than max ({compressed.Length} vs. {HealthServiceOptions.MaxRequestBytes})", response.Message);
        Assert.Equal(0, server.Health.WatchCount);
    }

    [Fact]
    public async Task A_health_service_name_over_256_bytes_is_invalid()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.CreateChannel();

        var check = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest { Service = new string('s', 257) }));
        var watch = await Assert.ThrowsAsync<RpcException>(() => AsyncSequence.ToListAsync(
            channel.ServerStreamingAsync(HealthService.WatchMethod, new HealthCheckRequest { Service = new string('s', 257) })));

        Assert.Equal(StatusCode.InvalidArgument, check.Status);
        Assert.Equal(StatusCode.InvalidArgument, watch.Status);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest { Service = new string('s', 256) }))).Status);
    }

    [Fact]
    public async Task Watch_streams_are_capped_per_connection_and_per_address_and_given_back_when_they_end()
    {
        await using var server = await TestServer.StartAsync(healthOptions: new HealthServiceOptions { MaxWatchesPerConnection = 2, MaxWatchesPerAddress = 3 });
        using var stop = new CancellationTokenSource(Bound);
        using var first = server.CreateChannel(new GrpcChannelOptions { HttpHandler = OneConnection() });
        using var second = server.CreateChannel(new GrpcChannelOptions { HttpHandler = OneConnection() });

        var onFirst = new[] { await OpenWatchAsync(first, stop.Token), await OpenWatchAsync(first, stop.Token) };
        var overConnection = await Assert.ThrowsAsync<RpcException>(() => OpenWatchAsync(first, stop.Token));
        var onSecond = await OpenWatchAsync(second, stop.Token);
        var overAddress = await Assert.ThrowsAsync<RpcException>(() => OpenWatchAsync(second, stop.Token));

        Assert.Equal(StatusCode.ResourceExhausted, overConnection.Status);
        Assert.Contains("on this connection", overConnection.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, overAddress.Status);
        Assert.Contains("from this address", overAddress.Detail, StringComparison.Ordinal);
        Assert.Equal(3, server.Health.WatchCount);

        // A stream that ends gives its slot back.
        await onSecond.DisposeAsync();
        await WaitUntilAsync(() => server.Health.WatchCount == 2, stop.Token);
        await using var again = await OpenWatchAsync(second, stop.Token);
        foreach (var watch in onFirst)
        {
            await watch.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_half_sent_message_is_dropped_once_it_falls_below_the_minimum_data_rate()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.MinRequestDataRate = 1024;
            o.RequestDataGracePeriod = TimeSpan.FromMilliseconds(200);
        });
        using var release = new CancellationTokenSource(Bound);
        using var client = RawGrpc.CreateClient();
        byte[] frame = RawGrpc.Frame(new EchoMessage { Text = "stalled", Payload = ByteString.CopyFrom(new byte[2000]) });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, EchoMethods.Unary.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StallingContent(frame[..100], release.Token), // the prefix declares ~2 KB; 100 bytes come
        };
        request.Headers.TE.ParseAdd("trailers");

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, release.Token);
        await response.Content.CopyToAsync(Stream.Null, release.Token);
        string? status = response.Headers.TryGetValues("grpc-status", out var h) ? h.First()
            : response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First() : null;
        await release.CancelAsync();

        Assert.Equal(((int)StatusCode.DeadlineExceeded).ToString(System.Globalization.CultureInfo.InvariantCulture), status);
    }

    [Fact]
    public async Task A_unary_call_ends_at_the_servers_bound_whatever_deadline_its_client_asks()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxUnaryCallDuration = TimeSpan.FromMilliseconds(300));
        using var channel = server.CreateChannel();

        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoMethods.Unary, new EchoMessage { Text = "no-deadline", DelayMs = 30_000 }, new CallOptions(Timeout: Bound)));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.Status);
        await server.Echo.WaitForServerCancellationAsync("no-deadline");
    }

    [Fact]
    public async Task A_compressed_message_over_the_ratio_is_refused_and_one_under_it_passes()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxDecompressionRatio = 100);
        using var client = RawGrpc.CreateClient();
        byte[] zeros = Gzip(new EchoMessage { Payload = ByteString.CopyFrom(new byte[1 << 20]) }.ToByteArray()); // ~1000:1
        byte[] random = new byte[256 * 1024];
        new Random(7).NextBytes(random);
        byte[] incompressible = Gzip(new EchoMessage { Payload = ByteString.CopyFrom(random) }.ToByteArray());

        var bomb = await RawGrpc.SendUnaryAsync(client, server.Address, RawGrpc.Frame(zeros, flag: 1), [("grpc-encoding", "gzip")]);
        var honest = await RawGrpc.SendUnaryAsync(client, server.Address, RawGrpc.Frame(incompressible, flag: 1), [("grpc-encoding", "gzip")]);

        Assert.Equal(StatusCode.ResourceExhausted, bomb.Status);
        Assert.Contains("inflates more than 100 times", bomb.Message, StringComparison.Ordinal);
        Assert.Equal(StatusCode.OK, honest.Status);
    }

    [Fact]
    public async Task Connections_beyond_the_cap_per_address_are_closed()
    {
        await using var server = await TestServer.StartAsync(configureListen: listen => GrpcKestrel.LimitConnectionsPerAddress(listen, 2));
        var channels = Enumerable.Range(0, 3).Select(_ => server.CreateChannel(new GrpcChannelOptions { HttpHandler = OneConnection() })).ToList();
        try
        {
            // Two connections stay open (a Watch each); the third is closed before HTTP/2 starts.
            using var stop = new CancellationTokenSource(Bound);
            await using var a = await OpenWatchAsync(channels[0], stop.Token);
            await using var b = await OpenWatchAsync(channels[1], stop.Token);
            var refused = await Assert.ThrowsAsync<RpcException>(() =>
                channels[2].UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest(), new CallOptions(Timeout: Bound)));
            Assert.Equal(StatusCode.Unavailable, refused.Status);
        }
        finally
        {
            channels.ForEach(c => c.Dispose());
        }
    }

    private static SocketsHttpHandler OneConnection() => new() { UseProxy = false, EnableMultipleHttp2Connections = false };

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>Opens a Watch and waits for its first status, so the server holds it when this returns.</summary>
    private static async Task<OpenWatch> OpenWatchAsync(GrpcChannel channel, CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stream = channel.ServerStreamingAsync(HealthService.WatchMethod, new HealthCheckRequest(), new CallOptions(CancellationToken: cts.Token)).GetAsyncEnumerator(cts.Token);
        try
        {
            Assert.True(await stream.MoveNextAsync());
            return new OpenWatch(stream, cts);
        }
        catch
        {
            await stream.DisposeAsync();
            cts.Dispose();
            throw;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    private sealed class OpenWatch(IAsyncEnumerator<HealthCheckResponse> stream, CancellationTokenSource cts) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await cts.CancelAsync();
            await stream.DisposeAsync();
            cts.Dispose();
        }
    }
}
