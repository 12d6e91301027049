using System.Reflection;
using System.Runtime.InteropServices;

namespace FedTrain.Trainer.Native;

/// <summary>
/// Finds libfedtrain_trainer for this assembly's P/Invokes, in order: the full path in
/// <c>FEDTRAIN_NATIVE_LIB</c>; next to the application (where the build copies it); <c>build/native/</c> of the
/// repository the application runs from (found by walking up to <c>FedTrain.sln</c> or <c>FedTrain.slnx</c>).
/// </summary>
internal static class NativeLibraryResolver
{
    internal const string PathVariable = "FEDTRAIN_NATIVE_LIB";

    private static readonly Lock Gate = new();
    private static nint _handle;
    private static string? _path;

    internal static string FileName =>
        OperatingSystem.IsWindows() ? "fedtrain_trainer.dll"
        : OperatingSystem.IsMacOS() ? "libfedtrain_trainer.dylib"
        : "libfedtrain_trainer.so";

    /// <summary>Path of the loaded library, once <see cref="EnsureLoaded"/> has succeeded.</summary>
    internal static string? LoadedPath => _path;

    /// <summary>Loads the library and routes this assembly's imports to it; throws <see cref="DllNotFoundException"/> with the fix if it cannot.</summary>
    internal static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != 0)
            {
                return;
            }

            string path = Locate(Environment.GetEnvironmentVariable(PathVariable), AppContext.BaseDirectory);
            nint handle;
            try
            {
                handle = NativeLibrary.Load(path);
            }
            catch (DllNotFoundException e)
            {
                throw new DllNotFoundException(
                    $"Found {path} but could not load it: {e.Message} Is libtorch installed (Debian: apt-get install libtorch-dev)?", e);
            }

            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
            _path = path;
            _handle = handle;
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == NativeMethods.LibraryName ? _handle : 0;

    /// <summary>The library to load given the environment variable's value and the application folder.</summary>
    internal static string Locate(string? configured, string baseDirectory)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new DllNotFoundException($"{PathVariable} is set to '{configured}', but no file exists there.");
        }

        var searched = new List<string> { Path.Combine(baseDirectory, FileName) };
        string? repository = FindRepositoryRoot(baseDirectory);
        if (repository is not null)
        {
            searched.Add(Path.Combine(repository, "build", "native", FileName));
        }

        foreach (string candidate in searched)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DllNotFoundException(
            $"Could not find {FileName} (looked in: {string.Join(", ", searched)}). " +
            $"Build it with scripts/build-native.sh, or set {PathVariable} to its full path.");
    }

    private static string? FindRepositoryRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FedTrain.sln"))
                || File.Exists(Path.Combine(directory.FullName, "FedTrain.slnx")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
