using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using FedTrain.Coordinator.Grpc;
using Grpc.Core;

namespace FedTrain.Coordinator.Tests.Grpc;

/// <summary>
/// The request body reader that checks each gRPC message prefix as it arrives, read over a real <see cref="Pipe"/>
/// the way Grpc.AspNetCore reads it (whole messages consumed, a partial one left examined), with the bytes split
/// across reads at every position.
/// </summary>
public sealed class FramePrefixGuardTests
{
    [Fact]
    public async Task Valid_messages_pass_untouched_whatever_the_split()
    {
        // The second message's payload looks like a bad prefix: only prefixes are checked, never payload bytes.
        byte[][] messages = [[1, 2, 3], [], [2, 0x80, 0, 0, 0, 9], [.. Enumerable.Range(0, 40).Select(i => (byte)i)]];
        byte[] body = [.. messages.SelectMany(m => Frame(m))];

        for (int size = 1; size <= body.Length; size++)
        {
            var read = await ReadMessagesAsync(Pieces(body, size));

            Assert.Equal(messages.Length, read.Count);
            Assert.All(read.Zip(messages), pair => Assert.Equal(pair.Second, pair.First));
        }

        // One byte, then the rest: a prefix split after its flag.
        Assert.Equal(messages.Length, (await ReadMessagesAsync([body[..1], body[1..]])).Count);
    }

    [Fact]
    public async Task A_compressed_flag_of_2_is_refused_INTERNAL_once_its_prefix_is_whole()
    {
        byte[] bad = Frame([7, 7], flag: 2);
        byte[] body = [.. Frame([1, 2, 3]), .. bad];

        for (int cut = 8; cut < 8 + 5; cut++)
        {
            // Everything up to the cut reads fine; the read that completes the prefix is refused.
            var error = await Assert.ThrowsAsync<RpcException>(() => ReadMessagesAsync([body[..cut], body[cut..]], failOnlyAtPiece: 1));
            Assert.Equal(StatusCode.Internal, error.StatusCode);
            Assert.Contains("compressed flag", error.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0x80000000u)]
    [InlineData(0xFFFFFFFFu)]
    public async Task A_length_of_2_GiB_or_more_is_refused_RESOURCE_EXHAUSTED_even_split(uint length)
    {
        byte[] prefix = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), length);
        byte[] body = [.. Frame([4, 5]), .. prefix, 0, 0, 0];

        for (int cut = 7; cut < 7 + 5; cut++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => ReadMessagesAsync([body[..cut], body[cut..]], failOnlyAtPiece: 1));
            Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
            Assert.Contains($"{length} bytes", error.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_length_just_under_2_GiB_is_left_to_the_message_size_limit()
    {
        byte[] prefix = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), int.MaxValue);

        var read = await ReadMessagesAsync([[.. Frame([1]), .. prefix[..3]], [.. prefix[3..], 1, 2, 3]]);

        Assert.Single(read);
    }

    private static byte[] Frame(byte[] payload, byte flag = 0)
    {
        byte[] frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    private static List<byte[]> Pieces(byte[] body, int size) =>
        [.. Enumerable.Range(0, (body.Length + size - 1) / size).Select(i => body[(i * size)..Math.Min(body.Length, (i + 1) * size)])];

    /// <summary>
    /// Writes each piece, then reads once through the guard, consuming the whole messages read so far and examining
    /// the rest, as Grpc.AspNetCore does. Returns the payloads of the whole messages.
    /// </summary>
    /// <param name="failOnlyAtPiece">When set, a read before this piece must not throw.</param>
    private static async Task<List<byte[]>> ReadMessagesAsync(IReadOnlyList<byte[]> pieces, int? failOnlyAtPiece = null)
    {
        var pipe = new Pipe();
        var guard = new FramePrefixGuard(pipe.Reader);
        Assert.Same(guard, guard.Reader);
        var messages = new List<byte[]>();
        for (int i = 0; i < pieces.Count; i++)
        {
            await pipe.Writer.WriteAsync(pieces[i]);
            if (i == pieces.Count - 1)
            {
                await pipe.Writer.CompleteAsync();
            }

            ReadResult result;
            try
            {
                result = await guard.ReadAsync();
            }
            catch (RpcException) when (failOnlyAtPiece is { } piece)
            {
                Assert.Equal(piece, i);
                throw;
            }

            var buffer = result.Buffer;
            while (buffer.Length >= 5)
            {
                byte[] prefix = buffer.Slice(0, 5).ToArray();
                long length = BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1));
                if (buffer.Length < 5 + length)
                {
                    break;
                }

                messages.Add(buffer.Slice(5, length).ToArray());
                buffer = buffer.Slice(5 + length);
            }

            guard.AdvanceTo(buffer.Start, result.Buffer.End);
        }

        await guard.CompleteAsync();
        return messages;
    }
}
