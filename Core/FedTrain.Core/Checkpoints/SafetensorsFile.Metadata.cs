using System.Buffers.Binary;
using System.Text.Json;

namespace FedTrain.Core.Checkpoints;

/// <summary>Reading a checkpoint's header: its <c>__metadata__</c> (run id, round, model spec) without its tensors.</summary>
public static partial class SafetensorsFile
{
    /// <summary>The string map stored under <c>__metadata__</c>; empty when the file has none.</summary>
    /// <exception cref="InvalidDataException">The file is not a safetensors file.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var file = File.OpenRead(path);
        using var document = JsonDocument.Parse(ReadHeader(file, path));
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (document.RootElement.TryGetProperty("__metadata__", out var entries))
        {
            foreach (var entry in entries.EnumerateObject())
            {
                metadata[entry.Name] = entry.Value.GetString() ?? string.Empty;
            }
        }

        return metadata;
    }

    // The JSON header after the 8-byte length; leaves the stream at the start of the tensor data.
    private static byte[] ReadHeader(FileStream file, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        file.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes || (long)headerLength > file.Length - 8)
        {
            throw new InvalidDataException($"{path}: header length {headerLength} is implausible.");
        }

        var header = new byte[headerLength];
        file.ReadExactly(header);
        return header;
    }
}
