using System.Text.Json;
using FedTrain.Core.Models;

namespace FedTrain.Trainer.Native;

/// <summary>Reads the native manifest, <c>[{"name":"conv0.weight","shape":[32,1,3,3]}, ...]</c>, assigning offsets in order.</summary>
internal static class ManifestJson
{
    internal static ParameterManifest Parse(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        using var document = JsonDocument.ParseValue(ref reader);
        var tensors = new List<TensorInfo>();
        long offset = 0;
        foreach (JsonElement entry in document.RootElement.EnumerateArray())
        {
            string name = entry.GetProperty("name").GetString()
                ?? throw new TrainerException(TrainerErrorCode.Internal, "Manifest entry without a name.");
            var shape = new List<long>();
            foreach (JsonElement dimension in entry.GetProperty("shape").EnumerateArray())
            {
                shape.Add(dimension.GetInt64());
            }

            var tensor = new TensorInfo(name, shape, offset);
            tensors.Add(tensor);
            offset += tensor.Length;
        }

        return new ParameterManifest(tensors);
    }
}
