namespace FedTrain.Core.Compression;

/// <summary>Random access to the bytes of an encoded update (a spool file, an array).</summary>
public interface IByteRangeReader
{
    /// <summary>Fills <paramref name="destination"/> with the bytes at [<paramref name="offset"/>, offset + length).</summary>
    /// <remarks>Safe to call from several threads at once.</remarks>
    void ReadExactly(long offset, Span<byte> destination);
}
