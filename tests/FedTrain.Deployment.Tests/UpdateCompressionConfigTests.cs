using FedTrain.Cli.Commands;
using FedTrain.Coordinator;
using FedTrain.Core.Compression;

namespace FedTrain.Deployment.Tests;

/// <summary><c>update_compression</c> in the coordinator's configuration file: read by name, a typo refused at start.</summary>
public sealed class UpdateCompressionConfigTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "fedtrain-config-" + Guid.NewGuid().ToString("N") + ".json");

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData("none", UpdateEncoding.Float32)]
    [InlineData("float16", UpdateEncoding.Float16)]
    [InlineData("int8", UpdateEncoding.Int8)]
    public void The_file_sets_the_runs_update_encoding(string name, UpdateEncoding expected)
    {
        File.WriteAllText(_path, $$"""{"update_compression": "{{name}}"}""");
        var options = new CoordinatorOptions();
        CoordinatorConfigFile.Load(_path).ApplyTo(options);
        options.Validate();
        Assert.Equal(expected, options.UpdateCompression);
    }

    [Fact]
    public void The_file_sets_top_k_with_its_fraction()
    {
        File.WriteAllText(_path, """{"update_compression": "topk:0.05"}""");
        var options = new CoordinatorOptions();
        CoordinatorConfigFile.Load(_path).ApplyTo(options);
        options.Validate();
        Assert.Equal(UpdateEncoding.TopK, options.UpdateCompression);
        Assert.Equal(0.05, options.UpdateTopKFraction);

        File.WriteAllText(_path, """{"update_compression": "topk:2"}""");
        var refusal = Assert.Throws<ArgumentException>(() => CoordinatorConfigFile.Load(_path).ApplyTo(new CoordinatorOptions()));
        Assert.Contains("in (0, 1]", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_key_updates_stay_float32_and_a_typo_is_refused_with_the_choices()
    {
        File.WriteAllText(_path, """{"rounds": 3}""");
        var options = new CoordinatorOptions();
        CoordinatorConfigFile.Load(_path).ApplyTo(options);
        Assert.Equal(UpdateEncoding.Float32, options.UpdateCompression);

        File.WriteAllText(_path, """{"update_compression": "int4"}""");
        var refusal = Assert.Throws<ArgumentException>(() => CoordinatorConfigFile.Load(_path).ApplyTo(new CoordinatorOptions()));
        Assert.Contains("none, float16, int8, topk:FRACTION", refusal.Message, StringComparison.Ordinal);
    }
}
