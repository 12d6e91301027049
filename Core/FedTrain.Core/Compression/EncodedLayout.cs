namespace FedTrain.Core.Compression;

/// <summary>
/// Sizes and offsets of an encoded update of P parameters. Int8 puts every block scale first and the values after
/// them, so any parameter range can be decoded from two small reads (its blocks' scales and its bytes), which is how
/// the coordinator's aggregators read spool files.
/// </summary>
public static class EncodedLayout
{
    /// <summary>
    /// Values per int8 block, each with its own float32 scale: 4096 keeps the scales at 0.1 % of the payload while a
    /// single large value only coarsens the quantum of its own 4096 neighbours.
    /// </summary>
    public const int Int8BlockSize = 4096;

    /// <summary>Number of int8 blocks (and scales) of an update of <paramref name="parameterCount"/> values.</summary>
    public static long BlockCount(long parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        return (parameterCount + Int8BlockSize - 1) / Int8BlockSize;
    }

    /// <summary>Byte offset of the first int8 value: right after the block scales.</summary>
    public static long Int8ValuesOffset(long parameterCount) => BlockCount(parameterCount) * sizeof(float);

    /// <summary>Bytes of an update of <paramref name="parameterCount"/> values in <paramref name="encoding"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An encoding this build does not know.</exception>
    public static long EncodedBytes(UpdateEncoding encoding, long parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        return encoding switch
        {
            UpdateEncoding.Float32 => parameterCount * sizeof(float),
            UpdateEncoding.Float16 => parameterCount * 2,
            UpdateEncoding.Int8 => Int8ValuesOffset(parameterCount) + parameterCount,
            _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown update encoding."),
        };
    }
}
