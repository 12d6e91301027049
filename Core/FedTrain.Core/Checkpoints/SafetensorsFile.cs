using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using FedTrain.Core.Models;

namespace FedTrain.Core.Checkpoints;

/// <summary>
/// Reads and writes model checkpoints in the safetensors format (an 8-byte little-endian header length, a
/// JSON header of name → dtype/shape/data_offsets, then the raw little-endian tensor bytes), which PyTorch
/// loads with <c>safetensors.torch.load_file</c>. Writes are atomic: temp file, fsync, rename, fsync of the folder.
/// </summary>
public static partial class SafetensorsFile
{
    private const int Alignment = 8;
    private const long MaxHeaderBytes = 100L << 20;
    private const int SliceElements = 1 << 26;

    /// <summary>Writes <paramref name="parameters"/> laid out by <paramref name="manifest"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The checkpoint file to create or replace.</param>
    /// <param name="manifest">The tensors' names, shapes and order.</param>
    /// <param name="parameters">The flat parameters, in manifest order.</param>
    /// <param name="metadata">Strings stored in the header's <c>__metadata__</c>.</param>
    /// <param name="beforeRename">Called once the temporary file is durable, before it replaces <paramref name="path"/>.</param>
    /// <param name="beforeReplacing">When given, called before an existing <paramref name="path"/> is replaced; it may throw to refuse (see <see cref="AtomicFile.Write"/>).</param>
    public static void Write(
        string path, ParameterManifest manifest, float[] parameters, IReadOnlyDictionary<string, string>? metadata = null,
        Action? beforeRename = null, Action? beforeReplacing = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(manifest);
        if (parameters.Length != manifest.TotalElements)
        {
            throw new ArgumentException($"{parameters.Length} parameters do not match the manifest's {manifest.TotalElements}.", nameof(parameters));
        }

        // Tensors lie back to back in manifest order (ParameterManifest checks it), so each one's slice of the flat buffer
        // is its data.
        Write(path, manifest, i => parameters.AsSpan((int)manifest.Tensors[i].Offset, (int)manifest.Tensors[i].Length), metadata, beforeRename, beforeReplacing);
    }

    /// <summary>The data of the manifest's tensor number <paramref name="index"/>, for <see cref="Write(string, ParameterManifest, TensorData, IReadOnlyDictionary{string, string}?, Action?, Action?)"/>.</summary>
    public delegate ReadOnlySpan<float> TensorData(int index);

    /// <summary>
    /// Writes tensors each taken from <paramref name="data"/> in manifest order: slices of one flat buffer (a model), or
    /// separate buffers (an optimizer's moments) without gathering them into one array first.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor's data is not as long as its manifest entry.</exception>
    public static void Write(
        string path, ParameterManifest manifest, TensorData data, IReadOnlyDictionary<string, string>? metadata = null,
        Action? beforeRename = null, Action? beforeReplacing = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(data);
        for (int i = 0; i < manifest.Tensors.Count; i++)
        {
            if (data(i).Length != manifest.Tensors[i].Length)
            {
                throw new ArgumentException($"Tensor '{manifest.Tensors[i].Name}' has {data(i).Length} elements, its manifest entry {manifest.Tensors[i].Length}.", nameof(data));
            }
        }

        byte[] header = BuildHeader(manifest, metadata);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Safetensors data is little-endian; big-endian hosts are not supported.");
        }

        AtomicFile.Write(path, file =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            file.Write(length);
            file.Write(header);
            for (int i = 0; i < manifest.Tensors.Count; i++)
            {
                var tensor = data(i);
                // In slices: a byte view of more than 2 GiB of floats cannot exist.
                for (int start = 0; start < tensor.Length; start += SliceElements)
                {
                    file.Write(MemoryMarshal.AsBytes(tensor.Slice(start, Math.Min(SliceElements, tensor.Length - start))));
                }
            }
        }, beforeRename, beforeReplacing);
    }

    /// <summary>Reads a checkpoint into a flat buffer ordered by <paramref name="manifest"/>.</summary>
    /// <exception cref="InvalidDataException">The file is malformed or does not hold the manifest's tensors.</exception>
    public static float[] Read(string path, ParameterManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var file = File.OpenRead(path);
        byte[] header = ReadHeader(file, path);
        long dataStart = 8 + (long)header.Length;
        using var document = JsonDocument.Parse(header);
        var result = new float[manifest.TotalElements];
        foreach (var tensor in manifest.Tensors)
        {
            if (!document.RootElement.TryGetProperty(tensor.Name, out var entry))
            {
                throw new InvalidDataException($"{path}: tensor '{tensor.Name}' is missing.");
            }

            if (entry.GetProperty("dtype").GetString() != "F32")
            {
                throw new InvalidDataException($"{path}: tensor '{tensor.Name}' is not F32.");
            }

            var shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (!shape.SequenceEqual(tensor.Shape))
            {
                throw new InvalidDataException(
                    $"{path}: tensor '{tensor.Name}' has shape [{string.Join(',', shape)}], expected [{string.Join(',', tensor.Shape)}].");
            }

            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[1] - offsets[0] != tensor.Length * sizeof(float) || dataStart + offsets[1] > file.Length)
            {
                throw new InvalidDataException($"{path}: tensor '{tensor.Name}' has bad data offsets.");
            }

            file.Position = dataStart + offsets[0];
            for (long start = 0; start < tensor.Length; start += SliceElements)
            {
                int length = (int)Math.Min(SliceElements, tensor.Length - start);
                file.ReadExactly(MemoryMarshal.AsBytes(result.AsSpan((int)(tensor.Offset + start), length)));
            }
        }

        return result;
    }

    private static byte[] BuildHeader(ParameterManifest manifest, IReadOnlyDictionary<string, string>? metadata)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            foreach (var tensor in manifest.Tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (long dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(tensor.Offset * sizeof(float));
                json.WriteNumberValue((tensor.Offset + tensor.Length) * sizeof(float));
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        // Pad with spaces so the tensor data starts 8-byte aligned, as the format recommends.
        int padded = (int)((stream.Length + Alignment - 1) / Alignment * Alignment);
        var header = new byte[padded];
        stream.ToArray().CopyTo(header, 0);
        header.AsSpan((int)stream.Length).Fill((byte)' ');
        return header;
    }
}
