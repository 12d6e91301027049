using FedTrain.Trainer.Native;

namespace FedTrain.Trainer.Tests;

public sealed class NativeLibraryResolverTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("fedtrain-resolver-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Environment_variable_wins_and_a_missing_file_is_reported()
    {
        string library = Touch(Path.Combine(_root.FullName, "custom.so"));
        Touch(Path.Combine(_root.FullName, NativeLibraryResolver.FileName));

        Assert.Equal(library, NativeLibraryResolver.Locate(library, _root.FullName));
        var error = Assert.Throws<DllNotFoundException>(() => NativeLibraryResolver.Locate("/nonexistent/lib.so", _root.FullName));
        Assert.Contains(NativeLibraryResolver.PathVariable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Library_next_to_the_application_comes_before_the_repository_build()
    {
        string app = Directory.CreateDirectory(Path.Combine(_root.FullName, "bin", "app")).FullName;
        Touch(Path.Combine(_root.FullName, "FedTrain.slnx"));
        string built = Touch(Path.Combine(_root.FullName, "build", "native", NativeLibraryResolver.FileName));

        Assert.Equal(built, NativeLibraryResolver.Locate(null, app));
        string local = Touch(Path.Combine(app, NativeLibraryResolver.FileName));
        Assert.Equal(local, NativeLibraryResolver.Locate(null, app));
    }

    [Fact]
    public void Nothing_found_explains_how_to_build_it()
    {
        var error = Assert.Throws<DllNotFoundException>(() => NativeLibraryResolver.Locate(null, _root.FullName));

        Assert.Contains("scripts/build-native.sh", error.Message, StringComparison.Ordinal);
    }

    private static string Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
        return path;
    }
}
