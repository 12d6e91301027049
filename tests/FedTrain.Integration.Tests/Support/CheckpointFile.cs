using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace FedTrain.Integration.Tests.Support;

/// <summary>A checkpoint as the test reads it independently: its metadata and the SHA-256 of its tensor bytes.</summary>
internal sealed record CheckpointFile(IReadOnlyDictionary<string, string> Metadata, string DataSha256)
{
    public static CheckpointFile Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var metadata = header.RootElement.TryGetProperty("__metadata__", out var entries)
            ? entries.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetString()!, StringComparer.Ordinal)
            : [];
        // The tensors are stored back to back in the model's order: the same bytes workers download.
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(8 + headerLength)));
        return new CheckpointFile(metadata, sha);
    }
}
