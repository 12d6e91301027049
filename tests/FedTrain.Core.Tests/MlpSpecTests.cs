using FedTrain.Core.Models;

namespace FedTrain.Core.Tests;

/// <summary>The tabular model's spec: parsed, written back for the native trainer, and refused when it cannot work.</summary>
public sealed class MlpSpecTests
{
    [Fact]
    public void An_mlp_spec_round_trips_through_the_native_string()
    {
        var spec = ModelSpec.Parse("kind=mlp;in=12;hidden=64,32;classes=4");

        Assert.Equal((1, 1, 12), spec.InputShape);
        Assert.Equal([64, 32], spec.HiddenLayers);
        Assert.True(spec.IsTabular);
        Assert.Equal(spec.ToNativeSpec(), ModelSpec.Parse(spec.ToNativeSpec()).ToNativeSpec());
        Assert.Equal("kind=mlp;in=12;classes=4;hidden=64,32", spec.ToNativeSpec());
    }

    [Fact]
    public void An_mlp_without_hidden_layers_is_softmax_regression()
    {
        var spec = ModelSpec.Parse("kind=mlp;in=3;hidden=;classes=2");
        Assert.Empty(spec.HiddenLayers);
        Assert.Equal("kind=mlp;in=3;classes=2", spec.ToNativeSpec());
    }

    [Theory]
    [InlineData("kind=mlp;in=0;classes=2", "mlp input must be in=D")]
    [InlineData("kind=mlp;in=4;classes=1", "at least 2 classes")]
    [InlineData("kind=mlp;in=4;classes=2;conv=3", "Unknown key 'conv' in model spec for kind 'mlp'")]
    [InlineData("kind=mlp;in=4;classes=2;hidden=0", "mlp hidden must be")]
    public void Mlp_specs_that_cannot_work_are_refused(string text, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ModelSpec.Parse(text));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
