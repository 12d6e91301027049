using System.Security.Cryptography;
using FedTrain.Protos;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Transport;

/// <summary>
/// The workers' client (a <see cref="GrpcChannel"/> with <see cref="CallInvokerCalls"/> and
/// <see cref="CoordinatorMethods"/>) against a Python grpcio (gRPC C-core) server of <c>fedtrain.v1.Coordinator</c>
/// (tests/interop/coordinator_server.py): every call shape, statuses and messages, compressed responses, deadlines.
/// </summary>
public sealed class PythonServerTests(PythonServerTests.Servers servers) : IClassFixture<PythonServerTests.Servers>
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task A_unary_call_carries_its_metadata_and_its_deadline()
    {
        using var channel = Channel(servers.Plain);
        var headers = new Metadata { { "x-worker-id", "worker-7" }, { "x-trace-bin", new byte[] { 0x00, 0x01, 0x02, 0xFA } } };

        var response = await channel.UnaryAsync(
            CoordinatorMethods.Register, new RegisterRequest { WorkerId = "w1" }, new CallOptions(headers, DateTime.UtcNow.AddSeconds(10)));

        var undated = await channel.UnaryAsync(CoordinatorMethods.Register, new RegisterRequest { WorkerId = "w2" });

        Assert.Equal("w1;x-trace-bin=000102fa;x-worker-id=worker-7", response.RunId);
        // The server saw a deadline of at most the 10 s the client set, and none on the call without one.
        Assert.InRange(response.HeartbeatIntervalSeconds, 1, 10);
        Assert.Equal("w2", undated.RunId);
        Assert.Equal(0, undated.HeartbeatIntervalSeconds);
    }

    [Fact]
    public async Task Ten_1_MiB_model_chunks_stream_from_the_server()
    {
        using var channel = Channel(servers.Plain);

        var chunks = await ToListAsync(channel.ServerStreamingAsync(CoordinatorMethods.DownloadModel, new DownloadRequest { Round = 10 }));

        Assert.Equal(11, chunks.Count);
        var header = chunks[0].Header;
        Assert.NotNull(header);
        var data = chunks.Skip(1).Select(c => c.Data).ToList();
        Assert.All(data, (d, i) => Assert.True(d.Length == MiB && d.Span[0] == i && d.Span[^1] == i, $"chunk {i}"));
        Assert.Equal(10L * MiB, header.TotalBytes);
        Assert.Equal(header.Sha256.ToByteArray(), Sha256(data));
    }

    [Fact]
    public async Task Ten_1_MiB_update_chunks_stream_to_the_server()
    {
        using var channel = Channel(servers.Plain);
        var data = Enumerable.Range(0, 10).Select(i => ByteString.CopyFrom(Enumerable.Repeat((byte)(i + 1), MiB).ToArray())).ToList();

        var ack = await channel.ClientStreamingAsync(CoordinatorMethods.UploadUpdate, Upload("w1", data));

        Assert.True(ack.Accepted);
        Assert.Equal($"10 chunks, {10 * MiB} bytes, sha256 {Convert.ToHexStringLower(Sha256(data))}", ack.Reason);
    }

    [Fact]
    public async Task A_client_stream_refused_after_its_first_message_surfaces_the_servers_status_and_message()
    {
        using var channel = Channel(servers.Plain);
        var data = Enumerable.Range(0, 10).Select(_ => ByteString.CopyFrom(new byte[MiB])).ToList();

        var refused = await Assert.ThrowsAsync<RpcException>(() => channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate, Upload("refuse", data), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30))));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal("Refused at the header: model version 3 is stale.", refused.Status.Detail);
    }

    [Fact]
    public async Task A_server_error_arrives_with_its_status_and_message()
    {
        using var channel = Channel(servers.Plain);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(CoordinatorMethods.Register, new RegisterRequest { WorkerId = "fail" }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("naïve ✓ 100% done\nline 2", error.Status.Detail);
    }

    [Fact]
    public async Task Gzip_compressed_responses_are_decoded()
    {
        var encodings = new List<string>();
        using var channel = Channel(servers.Gzip, encodings);

        var registered = await channel.UnaryAsync(CoordinatorMethods.Register, new RegisterRequest { WorkerId = "gz" });
        var chunks = await ToListAsync(channel.ServerStreamingAsync(CoordinatorMethods.DownloadModel, new DownloadRequest { Round = 10 }));

        Assert.Equal("gz", registered.RunId);
        Assert.Equal(11, chunks.Count);
        Assert.Equal(chunks[0].Header.Sha256.ToByteArray(), Sha256([.. chunks.Skip(1).Select(c => c.Data)]));
        // The server did compress them.
        Assert.Equal(["gzip", "gzip"], encodings);
    }

    [Fact]
    public async Task A_call_past_its_deadline_ends_DEADLINE_EXCEEDED()
    {
        using var channel = Channel(servers.Plain);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
            CoordinatorMethods.GetAssignment, new AssignmentRequest { WaitSeconds = 30 }, new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(500))));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    /// <param name="encodings">Collects each response's grpc-encoding header.</param>
    private static GrpcChannel Channel(PythonCoordinatorServer server, List<string>? encodings = null)
    {
        var handler = GrpcHttpHandler.Create();
        return GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions
        {
            HttpHandler = encodings is null ? handler : new EncodingRecorder(handler, encodings),
            MaxReceiveMessageSize = 4 * MiB,
        });
    }

    private static async IAsyncEnumerable<UpdateChunk> Upload(string workerId, IReadOnlyList<ByteString> data)
    {
        yield return new UpdateChunk { Header = new UploadHeader { WorkerId = workerId, ModelVersion = 3 } };
        foreach (var chunk in data)
        {
            await Task.Yield();
            yield return new UpdateChunk { Data = chunk };
        }
    }

    private static byte[] Sha256(IReadOnlyList<ByteString> data)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var chunk in data)
        {
            sha.AppendData(chunk.Span);
        }

        return sha.GetHashAndReset();
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private sealed class EncodingRecorder(HttpMessageHandler inner, List<string> encodings) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            lock (encodings)
            {
                encodings.Add(response.Headers.TryGetValues("grpc-encoding", out var values) ? string.Join(",", values) : "identity");
            }

            return response;
        }
    }

    /// <summary>Two grpcio servers, one that compresses its responses with gzip.</summary>
    public sealed class Servers : IAsyncLifetime
    {
        internal PythonCoordinatorServer Plain { get; private set; } = null!;

        internal PythonCoordinatorServer Gzip { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Plain = await PythonCoordinatorServer.StartAsync(gzip: false);
            Gzip = await PythonCoordinatorServer.StartAsync(gzip: true);
        }

        public async Task DisposeAsync()
        {
            if (Plain is not null)
            {
                await Plain.DisposeAsync();
            }

            if (Gzip is not null)
            {
                await Gzip.DisposeAsync();
            }
        }
    }
}
