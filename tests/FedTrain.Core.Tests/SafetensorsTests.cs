using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using FedTrain.Core.Checkpoints;
using FedTrain.Core.Models;

namespace FedTrain.Core.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"ckpt-{Guid.NewGuid():N}.safetensors");

    private static ParameterManifest Manifest() => new([
        new TensorInfo("conv0.weight", [2, 1, 3, 3], 0),
        new TensorInfo("conv0.bias", [2], 18),
        new TensorInfo("out.weight", [3, 2], 20),
    ]);

    [Fact]
    public void Round_trips_and_follows_the_format()
    {
        var manifest = Manifest();
        var values = Enumerable.Range(0, 26).Select(i => i * 0.5f - 3).ToArray();
        SafetensorsFile.Write(_path, manifest, values, new Dictionary<string, string> { ["round"] = "3" });

        Assert.Equal(values, SafetensorsFile.Read(_path, manifest));
        var bytes = File.ReadAllBytes(_path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + headerLength) % 8);
        Assert.Equal(8 + (long)headerLength + 26 * 4, bytes.Length);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        var bias = header.RootElement.GetProperty("conv0.bias");
        Assert.Equal("F32", bias.GetProperty("dtype").GetString());
        Assert.Equal([72L, 80L], bias.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("3", header.RootElement.GetProperty("__metadata__").GetProperty("round").GetString());
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_path)!, Path.GetFileName(_path) + ".*.tmp"));
    }

    [Fact]
    public void Refuses_a_checkpoint_of_another_shape()
    {
        SafetensorsFile.Write(_path, Manifest(), new float[26]);
        var other = new ParameterManifest([new TensorInfo("conv0.weight", [3, 1, 3, 3], 0)]);
        var ex = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(_path, other));
        Assert.Contains("shape", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_a_wrong_parameter_count()
    {
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(_path, Manifest(), new float[25]));
    }

    [Fact]
    public void Manifest_checks_offsets_and_compatibility()
    {
        Assert.Throws<ArgumentException>(() => new ParameterManifest([new TensorInfo("a", [2], 0), new TensorInfo("b", [2], 3)]));
        Assert.True(Manifest().IsCompatibleWith(Manifest()));
        Assert.False(Manifest().IsCompatibleWith(new ParameterManifest([new TensorInfo("conv0.weight", [2, 1, 3, 3], 0)])));
        Assert.Equal(26, Manifest().TotalElements);
    }

    public void Dispose() => File.Delete(_path);
}
