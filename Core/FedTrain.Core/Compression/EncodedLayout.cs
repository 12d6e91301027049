namespace FedTrain.Core.Compression;

/// <summary>
/// Sizes and offsets of an encoded update of P parameters. Int8 puts every block scale first and the values after
/// them, so any parameter range can be decoded from two small reads (its blocks' scales and its bytes), which is how
/// the coordinator's aggregators read spool files. Top-k likewise puts the K uint16 offsets first and the K float32
/// values after them; block b's entries are [b·m, b·m + its count), offsets strictly increasing within the block.
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

    /// <summary>
    /// Values per top-k block, each sending the same number m of its largest-magnitude values: a fixed m per block
    /// makes the size a function of P and m alone, and any parameter range decodable from the entries of its blocks.
    /// Offsets within a block fit a uint16.
    /// </summary>
    public const int TopKBlockSize = 4096;

    /// <summary>
    /// Bytes of an update of <paramref name="parameterCount"/> values as the operator's choice encodes it: top-k
    /// keeps <see cref="TopKKeptPerBlock(long, double)"/> of <paramref name="topKFraction"/>, which the other
    /// encodings ignore.
    /// </summary>
    public static long EncodedBytesOfChoice(UpdateEncoding encoding, long parameterCount, double topKFraction) => EncodedBytes(
        encoding, parameterCount, encoding == UpdateEncoding.TopK && parameterCount > 0 ? TopKKeptPerBlock(parameterCount, topKFraction) : 0);

    /// <summary>Bytes per kept top-k value: a uint16 offset and a float32 value.</summary>
    public const int TopKEntryBytes = sizeof(ushort) + sizeof(float);

    /// <summary>Bytes of an update of <paramref name="parameterCount"/> values in <paramref name="encoding"/>.</summary>
    /// <param name="encoding">The encoding.</param>
    /// <param name="parameterCount">P.</param>
    /// <param name="keptPerBlock">Top-k only: m, the values each block sends (<see cref="TopKKeptPerBlock(long, double)"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">An encoding this build does not know, or a top-k m outside [1, min(P, block size)].</exception>
    public static long EncodedBytes(UpdateEncoding encoding, long parameterCount, int keptPerBlock = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        return encoding switch
        {
            UpdateEncoding.Float32 => parameterCount * sizeof(float),
            UpdateEncoding.Float16 => parameterCount * 2,
            UpdateEncoding.Int8 => Int8ValuesOffset(parameterCount) + parameterCount,
            UpdateEncoding.TopK => TopKEntryCount(parameterCount, keptPerBlock) * TopKEntryBytes,
            _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown update encoding."),
        };
    }

    /// <summary>
    /// m for the operator's <paramref name="fraction"/> of values kept: ⌈fraction × block size⌉, at least 1 and at
    /// most a block (or P, for a model smaller than one block).
    /// </summary>
    public static int TopKKeptPerBlock(long parameterCount, double fraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The top-k fraction must be in (0, 1].");
        }

        return (int)Math.Clamp(Math.Ceiling(fraction * TopKBlockSize), 1, Math.Min(TopKBlockSize, parameterCount));
    }

    /// <summary>
    /// K, the values a top-k update sends: m from every block, all of the last block's when it holds fewer.
    /// </summary>
    public static long TopKEntryCount(long parameterCount, int keptPerBlock)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        if (parameterCount == 0)
        {
            return 0;
        }

        if (keptPerBlock < 1 || keptPerBlock > Math.Min(TopKBlockSize, parameterCount))
        {
            throw new ArgumentOutOfRangeException(nameof(keptPerBlock), keptPerBlock, $"A top-k block keeps 1 to {Math.Min(TopKBlockSize, parameterCount)} values.");
        }

        long blocks = (parameterCount + TopKBlockSize - 1) / TopKBlockSize;
        long lastBlock = parameterCount - ((blocks - 1) * TopKBlockSize);
        return (keptPerBlock * (blocks - 1)) + Math.Min(keptPerBlock, lastBlock);
    }

    /// <summary>
    /// m of a top-k update of <paramref name="parameterCount"/> values that takes <paramref name="bytes"/> bytes, or 0
    /// when no m gives that size. K grows strictly with m over its range, so the size alone determines m: a spool
    /// file or an upload describes itself.
    /// </summary>
    public static int TopKKeptPerBlockOfSize(long parameterCount, long bytes)
    {
        if (parameterCount <= 0 || bytes <= 0 || bytes % TopKEntryBytes != 0)
        {
            return 0;
        }

        long entries = bytes / TopKEntryBytes;
        int low = 1, high = (int)Math.Min(TopKBlockSize, parameterCount);
        while (low <= high)
        {
            int m = low + ((high - low) / 2);
            long count = TopKEntryCount(parameterCount, m);
            if (count == entries)
            {
                return m;
            }

            if (count < entries)
            {
                low = m + 1;
            }
            else
            {
                high = m - 1;
            }
        }

        return 0;
    }

    /// <summary>Whether <paramref name="bytes"/> is a possible size of an update of P values in <paramref name="encoding"/>.</summary>
    public static bool IsPossibleSize(UpdateEncoding encoding, long parameterCount, long bytes) => encoding == UpdateEncoding.TopK
        ? TopKKeptPerBlockOfSize(parameterCount, bytes) > 0 || (parameterCount == 0 && bytes == 0)
        : Enum.IsDefined(encoding) && parameterCount >= 0 && EncodedBytes(encoding, parameterCount) == bytes;
}
