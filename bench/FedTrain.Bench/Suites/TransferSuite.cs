using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Bench.Suites;

/// <summary>
/// Model download and update upload through our gRPC layer on loopback, each against a raw TCP copy of the same
/// bytes in the same run. The 3 GB case proves payloads beyond 2 GiB (64-bit offsets end to end).
/// </summary>
internal sealed class TransferSuite : IBenchSuite
{
    private const int SocketSlice = 4 << 20;

    // Chunk sizes compared on the 100 MB model; all below the 4 MiB message limit of both ends.
    private static readonly int[] ChunkSizes = [256 << 10, 1 << 20, 3 << 20];

    public string Name => "transfer";

    public string Description => "model download and update upload over our gRPC on loopback, MB/s, against a raw TCP copy of the same bytes";

    public async IAsyncEnumerable<BenchRow> RunAsync(BenchContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        long[] sizes = context.Quick ? [8L << 20] : [100_000_000L, 1_000_000_000L, 3_000_000_000L];
        foreach (long bytes in sizes)
        {
            long count = bytes / sizeof(float);
            string label = bytes >= 1_000_000_000 ? $"{bytes / 1_000_000_000} GB" : $"{bytes / 1_000_000} MB";
            var model = GC.AllocateUninitializedArray<float>(checked((int)count));
            for (long i = 0; i < count; i++)
            {
                model[i] = (i % 4093) * 1e-4f;
            }

            // Touched before timing: first faults on fresh pages cost more here than the copy itself (about
            // 0.4 GB/s), and the reference must measure the socket, not the page faults.
            var received = GC.AllocateUninitializedArray<float>((int)count);
            received.AsSpan().Fill(-1f);
            // The first copy through a large buffer runs at a tenth of later ones on this class of machine (the
            // kernel's first access to each page), whichever path makes it; an untimed copy pays that for every row.
            await RawTcpCopyAsync(model, received, count, cancellationToken).ConfigureAwait(false);
            double raw = await RawTcpCopyAsync(model, received, count, cancellationToken).ConfigureAwait(false);
            context.Log.WriteLine($"transfer: raw TCP {label}: {raw:F0} MB/s");

            string uploadPath = Path.Combine(context.ScratchDirectory, "upload.bin");
            await using var server = await PayloadTransferServer.StartAsync(model, count, uploadPath).ConfigureAwait(false);
            using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { HttpHandler = GrpcHttpHandler.Create(), DisposeHttpClient = true, MaxReceiveMessageSize = 16 << 20 });

            double download = Rate(bytes, await TimeAsync(() => DownloadAsync(channel, received, count, cancellationToken)).ConfigureAwait(false));
            if (!SameBits(model, received))
            {
                throw new InvalidOperationException($"The {label} download arrived altered.");
            }

            context.Log.WriteLine($"transfer: download {label}: {download:F0} MB/s");
            yield return BenchRow.HigherIsBetter(Name, $"download {label}", download, "MB/s", raw, "MB/s raw TCP");

            received.AsSpan().Fill(-1f);
            double plain = Rate(bytes, await TimeAsync(() => PlainHttp2DownloadAsync(server.Address, received, bytes, cancellationToken)).ConfigureAwait(false));
            if (!SameBits(model, received))
            {
                throw new InvalidOperationException($"The {label} plain HTTP/2 download arrived altered.");
            }

            context.Log.WriteLine($"transfer: plain HTTP/2 {label}: {plain:F0} MB/s");
            yield return BenchRow.HigherIsBetter(Name, $"plain HTTP/2 {label}", plain, "MB/s", raw, "MB/s raw TCP");

            double upload = Rate(bytes, await TimeAsync(() => UploadAsync(channel, model, count, cancellationToken)).ConfigureAwait(false));
            if (new FileInfo(uploadPath).Length != bytes)
            {
                throw new InvalidOperationException($"The {label} upload arrived with {new FileInfo(uploadPath).Length} bytes.");
            }

            File.Delete(uploadPath);
            context.Log.WriteLine($"transfer: upload {label}: {upload:F0} MB/s");
            yield return BenchRow.HigherIsBetter(Name, $"upload {label}", upload, "MB/s", raw, "MB/s raw TCP");

            if (bytes == sizes[0])
            {
                await foreach (var row in ChunkSizeRowsAsync(context, model, received, count, label, raw, cancellationToken).ConfigureAwait(false))
                {
                    yield return row;
                }
            }
        }
    }

    /// <summary>The smallest model again with each of <see cref="ChunkSizes"/>, both directions: what chose the default.</summary>
    private async IAsyncEnumerable<BenchRow> ChunkSizeRowsAsync(
        BenchContext context, float[] model, float[] received, long count, string label, double raw, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long bytes = count * sizeof(float);
        foreach (int chunkBytes in ChunkSizes)
        {
            string chunk = $"{chunkBytes >> 10} KiB chunks";
            string uploadPath = Path.Combine(context.ScratchDirectory, "upload-chunks.bin");
            await using var server = await PayloadTransferServer.StartAsync(model, count, uploadPath, chunkBytes).ConfigureAwait(false);
            using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { HttpHandler = GrpcHttpHandler.Create(), DisposeHttpClient = true, MaxReceiveMessageSize = 16 << 20 });
            received.AsSpan().Fill(-1f);
            double download = Rate(bytes, await TimeAsync(() => DownloadAsync(channel, received, count, cancellationToken)).ConfigureAwait(false));
            if (!SameBits(model, received))
            {
                throw new InvalidOperationException($"The {label} download in {chunk} arrived altered.");
            }

            double upload = Rate(bytes, await TimeAsync(() => UploadAsync(channel, model, count, cancellationToken, chunkBytes)).ConfigureAwait(false));
            File.Delete(uploadPath);
            context.Log.WriteLine($"transfer: {label} in {chunk}: download {download:F0} MB/s, upload {upload:F0} MB/s");
            yield return BenchRow.HigherIsBetter(Name, $"download {label}, {chunk}", download, "MB/s", raw, "MB/s raw TCP");
            yield return BenchRow.HigherIsBetter(Name, $"upload {label}, {chunk}", upload, "MB/s", raw, "MB/s raw TCP");
        }
    }

    private static double Rate(long bytes, double seconds) => bytes / seconds / 1e6;

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        long start = Stopwatch.GetTimestamp();
        await action().ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task DownloadAsync(GrpcChannel channel, float[] destination, long count, CancellationToken cancellationToken)
    {
        PayloadAssembler? assembler = null;
        try
        {
            await foreach (var chunk in channel.ServerStreamingAsync(
                CoordinatorMethods.DownloadModel, new DownloadRequest(), new CallOptions(cancellationToken: cancellationToken)).ConfigureAwait(false))
            {
                if (chunk.ContentCase == ModelChunk.ContentOneofCase.Header)
                {
                    assembler = new PayloadAssembler(chunk.Header, destination, count * sizeof(float));
                }
                else
                {
                    (assembler ?? throw new InvalidOperationException("The download sent data before its header.")).Append(chunk.Data.Span);
                }
            }

            (assembler ?? throw new InvalidOperationException("The download sent no header.")).Complete();
        }
        finally
        {
            assembler?.Dispose();
        }
    }

    /// <summary>The same bytes as one HTTP/2 response body through the same client stack, no gRPC framing.</summary>
    private static async Task PlainHttp2DownloadAsync(Uri address, float[] destination, long bytes, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(GrpcHttpHandler.Create());
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, PayloadTransferServer.PlainPath))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        // Copied on from a reused buffer, as the gRPC client copies each chunk on into the model.
        var buffer = new byte[SocketSlice];
        long done = 0;
        while (done < bytes)
        {
            int read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(SocketSlice, bytes - done)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException("The plain HTTP/2 body ended early.");
            }

            buffer.AsSpan(0, read).CopyTo(Bytes(destination, done, read));
            done += read;
        }
    }

    private static async Task UploadAsync(
        GrpcChannel channel, float[] model, long count, CancellationToken cancellationToken, int chunkBytes = PayloadCodec.DefaultChunkBytes)
    {
        var ack = await channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate, Chunks(model, count, chunkBytes), new CallOptions(cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (!ack.Accepted)
        {
            throw new InvalidOperationException("The upload was not accepted.");
        }
    }

    private static async IAsyncEnumerable<UpdateChunk> Chunks(float[] model, long count, int chunkBytes)
    {
        await Task.Yield();
        yield return new UpdateChunk { Header = new UploadHeader { Payload = PayloadCodec.CreateHeader(model, count, chunkBytes, checksum: PayloadChecksum.Xxh3128) } };
        foreach (var data in PayloadCodec.Chunks(model, count, chunkBytes))
        {
            yield return new UpdateChunk { Data = data };
        }
    }

    /// <summary>The same bytes through a plain loopback socket, 4 MiB writes, straight into the destination array.</summary>
    private static async Task<double> RawTcpCopyAsync(float[] source, float[] destination, long count, CancellationToken cancellationToken)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        long bytes = count * sizeof(float);
        long start = Stopwatch.GetTimestamp();
        var receive = Task.Run(
            async () =>
            {
                using var socket = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                long done = 0;
                while (done < bytes)
                {
                    int read = socket.Receive(Bytes(destination, done, (int)Math.Min(SocketSlice, bytes - done)));
                    if (read == 0)
                    {
                        throw new EndOfStreamException("The raw copy ended early.");
                    }

                    done += read;
                }
            },
            cancellationToken);
        var send = Task.Run(
            () =>
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(IPAddress.Loopback, port);
                for (long done = 0; done < bytes; done += SocketSlice)
                {
                    socket.Send(Bytes(source, done, (int)Math.Min(SocketSlice, bytes - done)));
                }
            },
            cancellationToken);
        await Task.WhenAll(receive, send).ConfigureAwait(false);
        return Rate(bytes, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    /// <summary>Bitwise equality, in slices: a byte span over a 3 GB array would overflow its length.</summary>
    private static bool SameBits(float[] expected, float[] actual)
    {
        const int Slice = 1 << 28;
        for (long start = 0; start < expected.Length; start += Slice)
        {
            int length = (int)Math.Min(Slice, expected.Length - start);
            if (!MemoryMarshal.AsBytes(expected.AsSpan((int)start, length)).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan((int)start, length))))
            {
                return false;
            }
        }

        return expected.Length == actual.Length;
    }

    /// <summary>A byte window of a float array; arrays beyond 2 GiB are addressed through float offsets.</summary>
    private static Span<byte> Bytes(float[] values, long byteOffset, int length)
    {
        int first = (int)(byteOffset / sizeof(float));
        int within = (int)(byteOffset % sizeof(float));
        int floats = (within + length + sizeof(float) - 1) / sizeof(float);
        return MemoryMarshal.AsBytes(values.AsSpan(first, floats)).Slice(within, length);
    }
}
