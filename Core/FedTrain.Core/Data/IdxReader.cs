using System.Buffers.Binary;
using System.IO.Compression;

namespace FedTrain.Core.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (big-endian header: two zero bytes, a type code, the number
/// of dimensions, one uint32 per dimension, then the data), gzip-compressed or not.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads an unsigned-byte IDX file; returns its dimensions and raw data.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed unsigned-byte IDX file.</exception>
    public static (int[] Dimensions, byte[] Data) ReadBytes(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionMode.Decompress)
            : file;
        return ReadBytes(stream, path);
    }

    /// <summary>Reads an unsigned-byte IDX stream; <paramref name="sourceName"/> names it in error messages.</summary>
    public static (int[] Dimensions, byte[] Data) ReadBytes(Stream stream, string sourceName)
    {
        Span<byte> magic = stackalloc byte[4];
        ReadExactly(stream, magic, sourceName, "magic number");
        if (magic[0] != 0 || magic[1] != 0)
        {
            throw new InvalidDataException($"{sourceName}: not an IDX file (magic {Convert.ToHexString(magic)}).");
        }

        if (magic[2] != UnsignedByteType)
        {
            throw new InvalidDataException($"{sourceName}: IDX type 0x{magic[2]:X2} is not supported (only unsigned bytes, 0x08).");
        }

        int rank = magic[3];
        if (rank is < 1 or > 4)
        {
            throw new InvalidDataException($"{sourceName}: IDX rank {rank} is out of range 1..4.");
        }

        var dimensions = new int[rank];
        Span<byte> word = stackalloc byte[4];
        long total = 1;
        for (int i = 0; i < rank; i++)
        {
            ReadExactly(stream, word, sourceName, $"dimension {i}");
            uint size = BinaryPrimitives.ReadUInt32BigEndian(word);
            if (size > int.MaxValue)
            {
                throw new InvalidDataException($"{sourceName}: dimension {i} of {size} is too large.");
            }

            dimensions[i] = (int)size;
            total *= size;
        }

        if (total > Array.MaxLength)
        {
            throw new InvalidDataException($"{sourceName}: {total} elements exceed what one array can hold.");
        }

        var data = new byte[total];
        ReadExactly(stream, data, sourceName, "data");
        return (dimensions, data);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string sourceName, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{sourceName}: truncated while reading the {what}.");
        }
    }
}
