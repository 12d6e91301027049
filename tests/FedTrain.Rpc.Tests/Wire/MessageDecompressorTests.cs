using System.Buffers;
using System.IO.Compression;
using FedTrain.TestSupport;

namespace FedTrain.Rpc.Tests.Wire;

public sealed class MessageDecompressorTests
{
    private static byte[] Compress(byte[] data, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding == "gzip"
                   ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)
                   : new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Decompress(ReadOnlySequence<byte> compressed, string encoding, int max)
    {
        var buffer = MessageDecompressor.Decompress(compressed, encoding, max, out var length);
        try
        {
            return buffer[..length];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [Theory]
    [InlineData("gzip", 0)]
    [InlineData("gzip", 1)]
    [InlineData("gzip", 100_000)]
    [InlineData("deflate", 7)]
    [InlineData("deflate", 300_000)]
    [InlineData("GZIP", 10)]
    public void Round_trips(string encoding, int size)
    {
        var data = Enumerable.Range(0, size).Select(i => (byte)(i * 7 % 251)).ToArray();
        var compressed = Compress(data, encoding.ToLowerInvariant());

        Assert.Equal(data, Decompress(SegmentedSequence.Chunked(compressed, 1000), encoding, 1 << 20));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public void Inflate_is_capped_at_the_max_message_size(string encoding)
    {
        // 8 MiB of zeros compresses far below the 4 MiB limit: a small bomb that passes the prefix check.
        var compressed = Compress(new byte[8 * 1024 * 1024], encoding);
        Assert.True(compressed.Length < 1024 * 1024);

        var ex = Assert.Throws<RpcException>(() => Decompress(new ReadOnlySequence<byte>(compressed), encoding, 4 * 1024 * 1024));

        Assert.Equal(StatusCode.ResourceExhausted, ex.Status);
    }

    [Fact]
    public void Exactly_the_max_size_is_allowed()
    {
        var compressed = Compress(new byte[5000], "gzip");

        Assert.Equal(5000, Decompress(new ReadOnlySequence<byte>(compressed), "gzip", 5000).Length);
        Assert.Throws<RpcException>(() => Decompress(new ReadOnlySequence<byte>(compressed), "gzip", 4999));
    }

    [Fact]
    public void Corrupt_data_is_internal()
    {
        var ex = Assert.Throws<RpcException>(() =>
            Decompress(new ReadOnlySequence<byte>(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }), "gzip", 1000));

        Assert.Equal(StatusCode.Internal, ex.Status);
    }

    [Fact]
    public void Deflate_means_zlib_wrapped()
    {
        var raw = new MemoryStream();
        using (var deflate = new DeflateStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(new byte[100]);
        }

        // Raw deflate (no zlib header) is not what gRPC calls "deflate".
        Assert.Throws<RpcException>(() => Decompress(new ReadOnlySequence<byte>(raw.ToArray()), "deflate", 1000));
    }
}
