using System.IO.Compression;
using Grpc.Core;
using Grpc.Net.Compression;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// The gzip and deflate decoders of the gRPC port, bounded. Grpc.AspNetCore stops inflating a message at its size
/// limit; these providers also stop, RESOURCE_EXHAUSTED, at <c>maxInflatedBytes</c> (the same limit, kept here so
/// the bound does not depend on the package's version) and past <c>maxRatio</c> times the compressed size once
/// the output exceeds 64 KiB, so a small gzip member cannot make the coordinator inflate megabytes. Corrupt
/// compressed data is answered INTERNAL, as a message that cannot be parsed is, not UNKNOWN.
/// </summary>
public sealed class BoundedDecompression : ICompressionProvider
{
    /// <summary>Output below this is never refused for its ratio: small messages compress well and cost nothing.</summary>
    internal const int RatioFreeBytes = 64 * 1024;

    private readonly ICompressionProvider _inner;
    private readonly long _maxInflatedBytes;
    private readonly int _maxRatio;

    private BoundedDecompression(ICompressionProvider inner, long maxInflatedBytes, int maxRatio)
    {
        _inner = inner;
        _maxInflatedBytes = maxInflatedBytes;
        _maxRatio = maxRatio;
    }

    public string EncodingName => _inner.EncodingName;

    /// <summary>gzip and deflate, each bounded to <paramref name="maxInflatedBytes"/> and <paramref name="maxRatio"/>.</summary>
    public static IList<ICompressionProvider> Providers(long maxInflatedBytes, int maxRatio) =>
    [
        new BoundedDecompression(new GzipCompressionProvider(CompressionLevel.Fastest), maxInflatedBytes, maxRatio),
        new BoundedDecompression(new DeflateCompressionProvider(CompressionLevel.Fastest), maxInflatedBytes, maxRatio),
    ];

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) =>
        _inner.CreateCompressionStream(stream, compressionLevel);

    public Stream CreateDecompressionStream(Stream stream)
    {
        var compressed = new CountingReadStream(stream);
        return new LimitedInflateStream(_inner.CreateDecompressionStream(compressed), compressed, _maxInflatedBytes, _maxRatio);
    }

    /// <summary>Counts the compressed bytes the decoder has consumed.</summary>
    private sealed class CountingReadStream(Stream inner) : ReadOnlyStream
    {
        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int read = inner.Read(buffer, offset, count);
            BytesRead += read;
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>The decoder's output, refused once it passes either bound.</summary>
    private sealed class LimitedInflateStream(Stream inflater, CountingReadStream compressed, long maxBytes, int maxRatio) : ReadOnlyStream
    {
        private long _inflated;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int read;
            try
            {
                read = inflater.Read(buffer, offset, count);
            }
            catch (InvalidDataException ex)
            {
                throw new RpcException(new Status(StatusCode.Internal, "The compressed message is corrupt: " + ex.Message, ex));
            }

            _inflated += read;
            if (_inflated > maxBytes)
            {
                throw new RpcException(new Status(
                    StatusCode.ResourceExhausted, $"The compressed message inflates past the limit of {maxBytes} bytes."));
            }

            if (_inflated > RatioFreeBytes && _inflated > maxRatio * Math.Max(1, compressed.BytesRead))
            {
                throw new RpcException(new Status(
                    StatusCode.ResourceExhausted, $"The compressed message inflates more than {maxRatio} times its compressed size."));
            }

            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inflater.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A forward-only, read-only stream: what a decoder reads from and what the transport copies from.</summary>
    private abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
