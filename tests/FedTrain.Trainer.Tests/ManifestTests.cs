using FedTrain.Core.Models;

namespace FedTrain.Trainer.Tests;

public sealed class ManifestTests
{
    [Fact]
    public void Manifest_lists_cnn_tensors_in_registration_order_with_contiguous_offsets()
    {
        using var trainer = TestModels.CreateTiny();

        var expected = new (string Name, long[] Shape)[]
        {
            ("conv0.weight", [4, 1, 3, 3]), ("conv0.bias", [4]),
            ("conv1.weight", [8, 4, 3, 3]), ("conv1.bias", [8]),
            ("fc1.weight", [16, 8 * 7 * 7]), ("fc1.bias", [16]),
            ("out.weight", [10, 16]), ("out.bias", [10]),
        };
        Assert.Equal(expected.Select(e => e.Name), trainer.Manifest.Tensors.Select(t => t.Name));
        long offset = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            TensorInfo tensor = trainer.Manifest.Tensors[i];
            Assert.Equal(expected[i].Shape, tensor.Shape);
            Assert.Equal(offset, tensor.Offset);
            offset += tensor.Length;
        }

        Assert.Equal(offset, trainer.ParameterCount);
        Assert.Equal([1L, 28, 28], trainer.InputShape);
        Assert.Equal(10, trainer.Classes);
    }

    [Theory]
    [InlineData(new[] { 4, 8 }, 16)]
    [InlineData(new[] { 32, 64 }, 128)]
    [InlineData(new[] { 6 }, 0)]
    [InlineData(new[] { 3, 5, 7 }, 11)]
    public void Parameter_count_matches_the_cnn_formula(int[] conv, int hidden)
    {
        var spec = new ModelSpec("cnn", 1, 28, 28, 10, conv, hidden);
        using var trainer = NativeTrainer.Create(spec, new TrainerOptions(Threads: 1));

        long expected = 0;
        long inChannels = spec.Channels;
        foreach (int width in conv)
        {
            expected += (width * inChannels * 9) + width;
            inChannels = width;
        }

        long features = inChannels * (28 >> conv.Length) * (28 >> conv.Length);
        if (hidden > 0)
        {
            expected += (hidden * features) + hidden;
            features = hidden;
        }

        expected += (10 * features) + 10;
        Assert.Equal(expected, trainer.ParameterCount);
        Assert.Equal(expected, trainer.Manifest.TotalElements);
        Assert.Equal(hidden > 0, trainer.Manifest.Tensors.Any(t => t.Name == "fc1.weight"));
    }

    [Fact]
    public void Default_fashion_mnist_cnn_has_the_expected_size()
    {
        using var trainer = NativeTrainer.Create(ModelSpec.FashionMnistCnn, new TrainerOptions(Threads: 1));

        // conv0 320 + conv1 18,496 + fc1 (3,136 -> 128) 401,536 + out 1,290
        Assert.Equal(421_642, trainer.ParameterCount);
    }
}
