using System.Runtime.InteropServices;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Compression;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// Finds values that would decode to NaN or ±Inf in a payload arriving chunk by chunk, whose boundaries need not fall
/// on whole values: float32 values, float16 values, or the float32 block scales at the head of an int8 payload (its
/// int8 values are always finite, so they need no look).
/// </summary>
internal sealed class PayloadValueScanner
{
    private readonly UpdateEncoding _encoding;
    private readonly int _width;
    private readonly long _checkedBytes;
    private readonly byte[] _partial = new byte[sizeof(float)];
    private int _partialLength;

    public PayloadValueScanner(UpdateEncoding encoding, long parameterCount)
    {
        _encoding = encoding;
        (_width, _checkedBytes) = encoding switch
        {
            UpdateEncoding.Float16 => (2, parameterCount * 2),
            UpdateEncoding.Int8 => (sizeof(float), EncodedLayout.Int8ValuesOffset(parameterCount)),
            _ => (sizeof(float), parameterCount * sizeof(float)),
        };
    }

    /// <summary>Checks the next bytes of the payload.</summary>
    /// <param name="chunk">The bytes.</param>
    /// <param name="offset">Where <paramref name="chunk"/> starts in the payload.</param>
    /// <exception cref="PayloadException">A value that completes in this chunk is (or decodes to) NaN or ±Inf.</exception>
    public void Check(ReadOnlySpan<byte> chunk, long offset)
    {
        if (offset >= _checkedBytes)
        {
            return;
        }

        var rest = chunk[..(int)Math.Min(chunk.Length, _checkedBytes - offset)];
        long first = (offset - _partialLength) / _width;
        int partial = _partialLength;
        if (partial > 0)
        {
            // A value split across chunks: finish it from this chunk's first bytes.
            int take = Math.Min(_width - partial, rest.Length);
            rest[..take].CopyTo(_partial.AsSpan(partial));
            rest = rest[take..];
            partial += take;
            if (partial == _width)
            {
                CheckWhole(_partial.AsSpan(0, _width), first);
                first++;
                partial = 0;
            }
        }

        int whole = rest.Length / _width * _width;
        CheckWhole(rest[..whole], first);

        // Only now, with the chunk accepted, does the split value's state move on.
        rest[whole..].CopyTo(_partial.AsSpan(partial));
        _partialLength = partial + (rest.Length - whole);
    }

    private void CheckWhole(ReadOnlySpan<byte> values, long first)
    {
        switch (_encoding)
        {
            case UpdateEncoding.Float16:
                var halves = MemoryMarshal.Cast<byte, Half>(values);
                if (EncodedUpdateChecks.IndexOfNonFinite(halves) is >= 0 and long half)
                {
                    throw NonFinite($"a non-finite float16 value ({halves[(int)half]})", first + half);
                }

                break;
            case UpdateEncoding.Int8:
                var scales = MemoryMarshal.Cast<byte, float>(values);
                if (EncodedUpdateChecks.IndexOfUnusableScale(scales) is >= 0 and long block)
                {
                    throw new PayloadException(
                        PayloadError.NonFinite,
                        $"Update's int8 block {first + block} (parameters from {(first + block) * EncodedLayout.Int8BlockSize}) has scale {scales[(int)block]}, which decodes to non-finite values.");
                }

                break;
            default:
                var floats = MemoryMarshal.Cast<byte, float>(values);
                if (UpdateChecks.IndexOfNonFinite(floats) is >= 0 and long bad)
                {
                    throw NonFinite($"a non-finite value ({floats[(int)bad]})", first + bad);
                }

                break;
        }
    }

    private static PayloadException NonFinite(string what, long index) =>
        new(PayloadError.NonFinite, $"Update holds {what} at parameter {index}.");
}
