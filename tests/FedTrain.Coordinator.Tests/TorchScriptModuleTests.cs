using System.Security.Cryptography;
using FedTrain.Coordinator.Models;
using FedTrain.Core.Models;

namespace FedTrain.Coordinator.Tests;

public sealed class TorchScriptModuleTests
{
    [Fact]
    public void Prepare_keeps_a_copy_under_its_hash_and_points_the_spec_at_it()
    {
        string run = Path.Combine(Path.GetTempPath(), "fedtrain-tests", "module-" + Guid.NewGuid().ToString("N"));
        string source = Path.Combine(run, "user", "model.pt");
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        byte[] bytes = [1, 2, 3, 4, 5];
        File.WriteAllBytes(source, bytes);

        var (module, spec) = TorchScriptModule.Prepare(ModelSpec.TorchScript(source, 1, 28, 28, 10), run);

        string sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.NotNull(module);
        Assert.Equal(sha256, module.Sha256);
        Assert.Equal(sha256, spec.ModuleSha256);
        Assert.Equal(Path.Combine(run, "modules", sha256 + ".pt"), spec.Module);
        Assert.Equal(bytes, File.ReadAllBytes(spec.Module!));
        Assert.Equal(bytes, module.Bytes.ToArray());
        Assert.Contains($"module={spec.Module};in=1,28,28;classes=10", spec.ToNativeSpec(), StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_leaves_zoo_models_alone()
    {
        var (module, spec) = TorchScriptModule.Prepare(ModelSpec.FashionMnistCnn, Path.GetTempPath());

        Assert.Null(module);
        Assert.Same(ModelSpec.FashionMnistCnn, spec);
    }

    [Fact]
    public void Prepare_names_a_missing_file()
    {
        var error = Assert.Throws<ArgumentException>(
            () => TorchScriptModule.Prepare(ModelSpec.TorchScript("/nonexistent/m.pt", 1, 28, 28, 10), Path.GetTempPath()));

        Assert.Contains("cannot read the TorchScript module '/nonexistent/m.pt'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "needs its module file")]
    [InlineData("a;b.pt", "contains ';'")]
    public void A_torchscript_spec_without_a_usable_path_is_invalid(string? path, string reason)
    {
        var spec = new ModelSpec(ModelSpec.TorchScriptKind, 1, 28, 28, 10, [], 0) { Module = path };

        var error = Assert.Throws<ArgumentException>(spec.Validate);

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
