using System.Net;
using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Wire;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FedTrain.Bench.Suites;

/// <summary>
/// Kestrel on loopback serving the coordinator's two bulk methods the way the coordinator does: DownloadModel streams
/// a model as chunks (1 MiB unless told) wrapping its float buffer, UploadUpdate receives the chunks through the
/// coordinator's marshaller (<see cref="ReceivedChunk{THeader}"/>) and writes them through the payload file writer (per-chunk checks, SHA-256) into a
/// spool file. <see cref="PlainPath"/> serves the same bytes without gRPC, as the HTTP/2 stack's own ceiling.
/// </summary>
internal sealed class PayloadTransferServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly float[] _model;
    private readonly long _count;
    private readonly byte[] _sha256;
    private readonly byte[] _xxh3128;
    private readonly string _uploadPath;
    private readonly int _chunkBytes;

    private PayloadTransferServer(WebApplication app, float[] model, long count, string uploadPath, int chunkBytes)
    {
        _app = app;
        _model = model;
        _count = count;
        _chunkBytes = chunkBytes;
        _sha256 = PayloadCodec.Sha256(model, count);
        _xxh3128 = FedTrain.Core.Models.ParameterDigest.Xxh3128(model, count);
        _uploadPath = uploadPath;
    }

    /// <summary>The model's bytes as one plain HTTP/2 response body: the transport's ceiling, without gRPC.</summary>
    public const string PlainPath = "/plain";

    public Uri Address { get; private set; } = null!;

    /// <param name="chunkBytes">Size of the download's data chunks (the coordinator's <c>chunk_bytes</c>).</param>
    public static async Task<PayloadTransferServer> StartAsync(float[] model, long count, string uploadPath, int chunkBytes = PayloadCodec.DefaultChunkBytes)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        ListenOptions? endpoint = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            FedTrain.Coordinator.Hosting.GrpcKestrel.ConfigureLimits(kestrel);
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                endpoint = listen;
            });
        });
        // The coordinator's limits: chunks up to its default message size, and no size limit on responses.
        builder.Services.AddGrpc(grpc => grpc.MaxSendMessageSize = null);
        var holder = new ServerHolder();
        builder.Services.AddSingleton(_ => holder.Server!);
        builder.Services.AddSingleton<IServiceMethodProvider<PayloadTransferServer>, TransferMethods>();
        var app = builder.Build();
        var server = new PayloadTransferServer(app, model, count, uploadPath, chunkBytes);
        holder.Server = server;
        app.Use((context, next) => context.Request.Path == PlainPath ? server.PlainDownloadAsync(context.Response) : next(context));
        app.MapGrpcService<PayloadTransferServer>();
        await app.StartAsync().ConfigureAwait(false);
        server.Address = new Uri($"http://127.0.0.1:{endpoint!.IPEndPoint!.Port}");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task DownloadAsync(DownloadRequest request, IServerStreamWriter<ModelChunk> writer, ServerCallContext context)
    {
        var header = new PayloadHeader
        {
            TotalBytes = _count * sizeof(float),
            ParameterCount = _count,
            // As the coordinator's download header: both checksums, of which the client checks XXH3-128.
            Sha256 = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(_sha256),
            Xxh3128 = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(_xxh3128),
            ChunkBytes = _chunkBytes,
        };
        await writer.WriteAsync(new ModelChunk { Header = header }, context.CancellationToken).ConfigureAwait(false);
        foreach (var chunk in PayloadCodec.Chunks(_model, _count, _chunkBytes))
        {
            await writer.WriteAsync(new ModelChunk { Data = chunk }, context.CancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PlainDownloadAsync(HttpResponse response)
    {
        response.ContentLength = _count * sizeof(float);
        foreach (var chunk in PayloadCodec.Chunks(_model, _count, PayloadCodec.DefaultChunkBytes))
        {
            await response.Body.WriteAsync(chunk.Memory).ConfigureAwait(false);
        }
    }

    private async Task<UploadAck> UploadAsync(IAsyncStreamReader<ReceivedChunk<UploadHeader>> chunks, ServerCallContext context)
    {
        using var file = File.OpenHandle(_uploadPath, FileMode.Create, FileAccess.ReadWrite);
        PayloadFileWriter? writer = null;
        try
        {
            while (await chunks.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                using var chunk = chunks.Current;
                if (chunk.Content == ChunkContent.Header)
                {
                    writer = new PayloadFileWriter(chunk.Header!.Payload, file, _count * sizeof(float));
                }
                else
                {
                    (writer ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "header first"))).Append(chunk.Data);
                }
            }

            (writer ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "no header"))).Complete();
            return new UploadAck { Accepted = true };
        }
        finally
        {
            writer?.Dispose();
        }
    }

    /// <summary>The server is built after the host, so the container gets it through this.</summary>
    private sealed class ServerHolder
    {
        public PayloadTransferServer? Server { get; set; }
    }

    /// <summary>Binds the two bulk methods with the coordinator's own descriptors.</summary>
    private sealed class TransferMethods : IServiceMethodProvider<PayloadTransferServer>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<PayloadTransferServer> context)
        {
            context.AddServerStreamingMethod(CoordinatorMethods.DownloadModel, [], (server, request, writer, call) => server.DownloadAsync(request, writer, call));
            context.AddClientStreamingMethod(CoordinatorMethods.ReceiveUpdate, [], (server, chunks, call) => server.UploadAsync(chunks, call));
        }
    }
}
