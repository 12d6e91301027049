using System.Runtime.InteropServices;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;

namespace FedTrain.Coordinator.Tests;

public sealed class PayloadTests
{
    private static float[] Values(int count) => Enumerable.Range(0, count).Select(i => i * 0.25f - 7).ToArray();

    [Theory]
    [InlineData(4)]
    [InlineData(1024)]
    [InlineData(1 << 20)]
    public void Chunks_reassemble_into_the_same_floats(int chunkBytes)
    {
        var values = Values(100_003);
        var header = PayloadCodec.CreateHeader(values, values.Length, chunkBytes);
        var received = new float[values.Length];
        using var assembler = new PayloadAssembler(header, received, values.Length * 4L);
        int chunks = 0;
        foreach (var chunk in PayloadCodec.Chunks(values, values.Length, chunkBytes))
        {
            Assert.True(chunk.Length <= chunkBytes);
            assembler.Append(chunk.Span);
            chunks++;
        }

        assembler.Complete();
        Assert.Equal(values, received);
        Assert.Equal((values.Length * 4 + chunkBytes - 1) / chunkBytes, chunks);
    }

    [Fact]
    public void Chunk_boundaries_need_not_fall_on_whole_floats()
    {
        var values = Values(1001);
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var header = PayloadCodec.CreateHeader(values, values.Length, 7);
        var received = new float[values.Length];
        using var assembler = new PayloadAssembler(header, received, bytes.Length);
        for (int offset = 0; offset < bytes.Length; offset += 7)
        {
            assembler.Append(bytes.AsSpan(offset, Math.Min(7, bytes.Length - offset)));
        }

        assembler.Complete();
        Assert.Equal(values, received);
    }

    [Theory]
    [InlineData(PayloadChecksum.Sha256)]
    [InlineData(PayloadChecksum.Xxh3128)]
    public void Refuses_overflow_truncation_corruption_and_bad_headers(PayloadChecksum checksum)
    {
        var values = Values(64);
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var header = PayloadCodec.CreateHeader(values, values.Length, 1024, checksum: checksum);
        Assert.Equal(checksum == PayloadChecksum.Sha256 ? 32 : 0, header.Sha256.Length);
        Assert.Equal(checksum == PayloadChecksum.Xxh3128 ? 16 : 0, header.Xxh3128.Length);

        using (var overflow = new PayloadAssembler(header, new float[64], 256))
        {
            overflow.Append(bytes);
            Assert.Equal(PayloadError.TooLarge, Assert.Throws<PayloadException>(() => overflow.Append([1])).Error);
        }

        using (var truncated = new PayloadAssembler(header, new float[64], 256))
        {
            truncated.Append(bytes.AsSpan(0, 100));
            Assert.Equal(PayloadError.Truncated, Assert.Throws<PayloadException>(truncated.Complete).Error);
        }

        using (var corrupt = new PayloadAssembler(header, new float[64], 256))
        {
            bytes[17] ^= 1;
            corrupt.Append(bytes);
            Assert.Equal(PayloadError.ChecksumMismatch, Assert.Throws<PayloadException>(corrupt.Complete).Error);
        }

        Assert.Equal(PayloadError.BadHeader, Assert.Throws<PayloadException>(() => new PayloadAssembler(header, new float[64], 260)).Error);
        var lying = header.Clone();
        lying.ParameterCount = 63;
        Assert.Equal(PayloadError.BadHeader, Assert.Throws<PayloadException>(() => new PayloadAssembler(lying, new float[64], 256)).Error);
        Assert.Throws<ArgumentException>(() => PayloadCodec.Chunks(values, values.Length, 6));
    }

    [Theory]
    [InlineData(PayloadChecksum.Sha256)]
    [InlineData(PayloadChecksum.Xxh3128)]
    public void Payloads_beyond_two_gibibytes_stream_and_verify(PayloadChecksum checksum)
    {
        // 2 GiB + 4 MiB of floats: past what a byte array, a span of bytes or a protobuf message can hold.
        const int count = (1 << 29) + (1 << 20);
        var values = new float[count];
        for (int i = 0; i < count; i += 4099)
        {
            values[i] = i;
        }

        values[^1] = -1;
        var header = PayloadCodec.CreateHeader(values, count, 4 << 20, checksum: checksum);
        Assert.Equal(count * 4L, header.TotalBytes);
        var received = new float[count];
        using var assembler = new PayloadAssembler(header, received, header.TotalBytes);
        foreach (var chunk in PayloadCodec.Chunks(values, count, 4 << 20))
        {
            assembler.Append(chunk.Span);
        }

        assembler.Complete();
        Assert.Equal(-1, received[^1]);
        Assert.Equal(count - 1 - ((count - 1) % 4099), received[count - 1 - ((count - 1) % 4099)]);
    }

    [Fact]
    public void A_header_needs_a_checksum_of_the_right_size_and_the_fast_one_is_checked_when_both_come()
    {
        var values = Values(256);
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var header = PayloadCodec.CreateHeader(values, values.Length, 1024, checksum: PayloadChecksum.Xxh3128);
        // The digest is XXH3-128's canonical big-endian form, as any other implementation of it writes it.
        Assert.Equal(System.IO.Hashing.XxHash128.Hash(bytes), header.Xxh3128.ToByteArray());

        var none = header.Clone();
        none.Xxh3128 = Google.Protobuf.ByteString.Empty;
        var refused = Assert.Throws<PayloadException>(() => new PayloadAssembler(none, new float[256], 1024));
        Assert.Equal(PayloadError.BadHeader, refused.Error);
        Assert.Contains("no checksum", refused.Message, StringComparison.Ordinal);

        var shortDigest = header.Clone();
        shortDigest.Xxh3128 = Google.Protobuf.ByteString.CopyFrom(new byte[8]);
        Assert.Equal(PayloadError.BadHeader, Assert.Throws<PayloadException>(() => new PayloadAssembler(shortDigest, new float[256], 1024)).Error);
        var shortSha = header.Clone();
        shortSha.Sha256 = Google.Protobuf.ByteString.CopyFrom(new byte[31]);
        Assert.Equal(PayloadError.BadHeader, Assert.Throws<PayloadException>(() => new PayloadAssembler(shortSha, new float[256], 1024)).Error);

        // Both, as a download header carries them: the bytes are checked against XXH3-128. A wrong one is refused...
        var both = header.Clone();
        both.Sha256 = Google.Protobuf.ByteString.CopyFrom(PayloadCodec.Sha256(values, values.Length));
        using (var assembler = new PayloadAssembler(both, new float[256], 1024))
        {
            assembler.Append(bytes);
            assembler.Complete();
        }

        var wrongFast = both.Clone();
        wrongFast.Xxh3128 = Google.Protobuf.ByteString.CopyFrom(new byte[16]);
        using (var assembler = new PayloadAssembler(wrongFast, new float[256], 1024))
        {
            assembler.Append(bytes);
            Assert.Equal(PayloadError.ChecksumMismatch, Assert.Throws<PayloadException>(assembler.Complete).Error);
        }
    }

    [Fact]
    public void Header_carries_the_manifest()
    {
        var manifest = new Core.Models.ParameterManifest([new("a", [2, 3], 0), new("b", [4], 6)]);
        var header = PayloadCodec.CreateHeader(new float[10], 10, 1024, manifest);
        var read = PayloadCodec.ReadManifest(header)!;
        Assert.True(read.IsCompatibleWith(manifest));
        Assert.Null(PayloadCodec.ReadManifest(new PayloadHeader()));
    }
}
