using FedTrain.Core.Models;

namespace FedTrain.Core.Tests;

public sealed class ModelSpecTests
{
    [Theory]
    [InlineData("cnn", "kind=cnn;in=1,28,28;classes=10;conv=32,64;hidden=128")]
    [InlineData("vit", "kind=vit;in=1,28,28;classes=10;patch=7;dim=64;depth=2;heads=4;mlp=128")]
    [InlineData("lm", "kind=lm;vocab=256;seq=64;dim=64;depth=2;heads=4;mlp=256")]
    [InlineData("kind=vit;patch=4;depth=3", "kind=vit;in=1,28,28;classes=10;patch=4;dim=64;depth=3;heads=4;mlp=128")]
    [InlineData(" kind = lm ; seq = 32 ; ", "kind=lm;vocab=256;seq=32;dim=64;depth=2;heads=4;mlp=256")]
    public void Presets_and_spec_strings_give_the_native_spec(string text, string native) =>
        Assert.Equal(native, ModelSpec.Parse(text).ToNativeSpec());

    [Fact]
    public void Native_spec_strings_read_back_to_the_same_spec()
    {
        foreach (var spec in new[] { ModelSpec.FashionMnistCnn, ModelSpec.FashionMnistVit, ModelSpec.ByteLm })
        {
            Assert.Equal(spec.ToNativeSpec(), ModelSpec.Parse(spec.ToNativeSpec()).ToNativeSpec());
        }
    }

    [Fact]
    public void Specs_read_apart_are_equal_by_value_lists_included()
    {
        // What a worker sees each round: the same network, mapped afresh from the assignment into new arrays.
        var first = new ModelSpec("cnn", 1, 28, 28, 10, new[] { 32, 64 }, 128);
        var again = new ModelSpec("cnn", 1, 28, 28, 10, new List<int> { 32, 64 }, 128);
        Assert.Equal(first, again);
        Assert.True(first == again);
        Assert.Equal(first.GetHashCode(), again.GetHashCode());
        Assert.Equal(ModelSpec.Parse(ModelSpec.FashionMnistCnn.ToNativeSpec()), ModelSpec.FashionMnistCnn);

        Assert.NotEqual(first, first with { ConvChannels = [32, 65] });
        Assert.NotEqual(first, first with { ConvChannels = [32] });
        Assert.NotEqual(first, first with { Hidden = 129 });
        Assert.NotEqual(ModelSpec.FashionMnistVit, ModelSpec.FashionMnistVit with { Heads = 2 });
        Assert.NotEqual(first, first with { ModuleSha256 = new string('a', 64) });
        Assert.False(first.Equals(null));
        Assert.Equal(first with { ConvChannels = null }, first with { ConvChannels = [] });
    }

    [Fact]
    public void The_input_shape_of_a_language_model_is_its_window()
    {
        Assert.Equal((1, 1, 65), ModelSpec.ByteLm.InputShape);
        Assert.True(ModelSpec.ByteLm.IsLanguageModel);
        Assert.Equal((1, 28, 28), ModelSpec.FashionMnistVit.InputShape);
    }

    [Theory]
    [InlineData("kind=vit;patch=5", "patch 5 does not divide the 28x28 input")]
    [InlineData("kind=vit;dim=30", "dim 30 is not divisible by heads 4")]
    [InlineData("kind=lm;heads=5", "dim 64 is not divisible by heads 5")]
    [InlineData("kind=vit;depth=0", "depth must be positive")]
    [InlineData("kind=vit;hidden=5", "Unknown key 'hidden' in model spec for kind 'vit'")]
    [InlineData("kind=cnn;patch=7", "Unknown key 'patch' in model spec for kind 'cnn'")]
    [InlineData("kind=lm;in=1,28,28", "Unknown key 'in' in model spec for kind 'lm'")]
    [InlineData("kind=lm;seq=0", "seq (context length) must be in [1, 65536]")]
    [InlineData("kind=lm;vocab=1", "vocabulary (classes) must be in [2, 2^20]")]
    [InlineData("kind=cnn;conv=8,8,8,8,8,8", "6 pooling conv blocks shrink a 28x28 input below one pixel")]
    [InlineData("kind=vit;dim=sixty", "'sixty' is not a whole number")]
    [InlineData("kind=vit;dim=8;dim=16", "key 'dim' appears twice")]
    [InlineData("kind=transformer", "Unknown model kind 'transformer'; known kinds: cnn, vit, lm")]
    [InlineData("patch=7", "has no kind")]
    [InlineData("kind=vit;in=1,28", "needs 3 comma-separated values")]
    [InlineData("", "Model spec is empty")]
    public void Specs_that_cannot_work_are_refused_naming_the_problem(string text, string message)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => ModelSpec.Parse(text));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fields_of_another_kind_are_refused_in_a_config_record()
    {
        var vitWithConv = ModelSpec.FashionMnistVit with { ConvChannels = [32] };
        Assert.Contains("conv_channels does not apply to kind vit", Assert.Throws<ArgumentException>(vitWithConv.Validate).Message, StringComparison.Ordinal);
        var cnnWithHeads = ModelSpec.FashionMnistCnn with { Heads = 4 };
        Assert.Contains("heads does not apply to kind cnn", Assert.Throws<ArgumentException>(cnnWithHeads.Validate).Message, StringComparison.Ordinal);
        var cnnWithoutConv = ModelSpec.FashionMnistCnn with { ConvChannels = null };
        Assert.Contains("conv channels must be a non-empty list", Assert.Throws<ArgumentException>(cnnWithoutConv.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_that_does_not_fit_the_model_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ModelSpecValidator.ValidateAgainstData(ModelSpec.FashionMnistVit, 3, 32, 32, 10, "the test data in DIR"));
        Assert.Contains("expects 1x28x28 inputs, but the test data in DIR holds 3x32x32 examples", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() =>
            ModelSpecValidator.ValidateAgainstData(ModelSpec.ByteLm, 1, 1, 33, 256, "the training data in DIR"));
        Assert.Contains("expects windows of seq+1 = 65 bytes", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() =>
            ModelSpecValidator.ValidateAgainstData(ModelSpec.FashionMnistCnn with { Classes = 5 }, 1, 28, 28, 10, "DIR"));
        Assert.Contains("The model has 5 classes, but DIR has labels up to 9", error.Message, StringComparison.Ordinal);
        ModelSpecValidator.ValidateAgainstData(ModelSpec.ByteLm, 1, 1, 65, 256, "DIR");
    }

    [Fact]
    public void Proximal_mu_must_be_finite_and_not_negative()
    {
        (TrainingConfig.Default with { ProximalMu = 0.01f }).Validate();
        Assert.Contains("Proximal mu", Assert.Throws<ArgumentException>((TrainingConfig.Default with { ProximalMu = -1f }).Validate).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>((TrainingConfig.Default with { ProximalMu = float.NaN }).Validate);
    }
}
