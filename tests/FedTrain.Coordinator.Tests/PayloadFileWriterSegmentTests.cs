using System.Runtime.InteropServices;
using FedTrain.Protos.Payloads;
using FedTrain.TestSupport;

namespace FedTrain.Coordinator.Tests;

/// <summary>
/// <see cref="PayloadFileWriter"/> fed chunks that arrive in many pipe segments (as the upload path hands them over,
/// uncopied): the file, the checksum and the refusals are those of the same bytes appended as one span.
/// </summary>
public sealed class PayloadFileWriterSegmentTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "fedtrain-writer-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData(4096, 1)]
    [InlineData(65_539, 4096)]
    [InlineData(65_539, 7)]
    public void Segmented_chunks_write_the_payload_bit_for_bit(int chunkBytes, int segmentBytes)
    {
        float[] values = Values(100_003);
        byte[] bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var header = PayloadCodec.CreateHeader(values, values.Length, chunkBytes);
        using (var file = File.OpenHandle(_path, FileMode.Create, FileAccess.ReadWrite))
        using (var writer = new PayloadFileWriter(header, file, bytes.Length))
        {
            for (int offset = 0; offset < bytes.Length; offset += chunkBytes)
            {
                byte[] chunk = bytes[offset..Math.Min(bytes.Length, offset + chunkBytes)];
                writer.Append(SegmentedSequence.Chunked(chunk, segmentBytes));
            }

            writer.Complete();
        }

        Assert.Equal(bytes, File.ReadAllBytes(_path));
    }

    [Fact]
    public void A_non_finite_value_split_across_segments_refuses_the_whole_chunk_before_any_of_it_is_written()
    {
        float[] values = Values(1000);
        values[700] = float.NaN;
        byte[] bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var header = PayloadCodec.CreateHeader(values, values.Length, bytes.Length);
        using var file = File.OpenHandle(_path, FileMode.Create, FileAccess.ReadWrite);
        using var writer = new PayloadFileWriter(header, file, bytes.Length);

        // The NaN's four bytes straddle the cut at 2,802 (it spans bytes 2,800–2,803).
        var refusal = Assert.Throws<PayloadException>(() => writer.Append(SegmentedSequence.Create(bytes, 1000, 2802)));

        Assert.Equal(PayloadError.NonFinite, refusal.Error);
        Assert.Contains("parameter 700", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(0, writer.ReceivedBytes);
        Assert.Equal(0, RandomAccess.GetLength(file));
    }

    [Fact]
    public void A_segmented_chunk_beyond_the_announced_size_is_refused()
    {
        float[] values = Values(100);
        byte[] bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var header = PayloadCodec.CreateHeader(values, values.Length, bytes.Length);
        using var file = File.OpenHandle(_path, FileMode.Create, FileAccess.ReadWrite);
        using var writer = new PayloadFileWriter(header, file, bytes.Length);

        var refusal = Assert.Throws<PayloadException>(() => writer.Append(SegmentedSequence.Chunked([.. bytes, 0, 0, 0, 0], 64)));

        Assert.Equal(PayloadError.TooLarge, refusal.Error);
        Assert.Equal(0, RandomAccess.GetLength(file));
    }

    private static float[] Values(int count) => Enumerable.Range(0, count).Select(i => (i * 0.25f) - 7).ToArray();
}
