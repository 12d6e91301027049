using System.Text.Json;

namespace FedTrain.Core.Data.Formats;

/// <summary>Reads tensors <c>x</c> (inputs) and <c>y</c> (labels) from a safetensors file.</summary>
internal static class SafetensorsArrayReader
{
    public static LoadedData Read(DataSourceOptions options, DataContract contract)
    {
        string path = options.Path;
        using var stream = File.OpenRead(path);
        var lengthBytes = new byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BitConverter.ToUInt64(lengthBytes);
        if (headerLength == 0 || headerLength > 100_000_000 || (long)headerLength + 8 > stream.Length)
        {
            throw new DataValidationException($"{path} is not a safetensors file (header length {headerLength}).");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        using var json = JsonDocument.Parse(header);
        long dataStart = 8 + (long)headerLength;
        return ArrayPair.ToLoadedData(Tensor(path, json.RootElement, "x", stream, dataStart), Tensor(path, json.RootElement, "y", stream, dataStart), DataFormat.Safetensors, contract, options);
    }

    private static NumericArray Tensor(string path, JsonElement root, string name, FileStream stream, long dataStart)
    {
        if (!root.TryGetProperty(name, out var entry))
        {
            var names = root.EnumerateObject().Select(p => p.Name).Where(n => n != "__metadata__");
            throw new DataValidationException($"{path} has no tensor '{name}' (it holds {string.Join(", ", names)}); a data file holds x (inputs) and y (labels).");
        }

        string dtype = entry.GetProperty("dtype").GetString() ?? string.Empty;
        long[] shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        long size = offsets[1] - offsets[0];
        long expected = shape.Aggregate(1L, (a, b) => a * b) * NumericArray.ElementSize($"{path} ({name})", dtype);
        if (size != expected || dataStart + offsets[1] > stream.Length)
        {
            throw new DataValidationException($"{path}: tensor '{name}' ({dtype} [{string.Join(',', shape)}]) has {size} bytes, needs {expected}.");
        }

        var bytes = new byte[size];
        stream.Position = dataStart + offsets[0];
        stream.ReadExactly(bytes);
        return new NumericArray($"{path} ({name})", dtype, shape, bytes);
    }
}
