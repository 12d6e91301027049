namespace FedTrain.Integration.Tests.Support;

/// <summary>Where the repository and the built <c>fedtrain</c> executable are, seen from the test assembly.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The CLI assembly built in the same configuration as these tests.</summary>
    public static string CliAssembly
    {
        get
        {
            string configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            string path = Path.Combine(Root, "Cli", "FedTrain.Cli", "bin", configuration, "net10.0", "fedtrain.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: the CLI is missing.", path);
        }
    }

    public static string NewRunDirectory(string name)
    {
        string path = Path.Combine(Path.GetTempPath(), "fedtrain-tests", $"{name}-{Guid.NewGuid():N}"[..Math.Min(name.Length + 9, 60)]);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FedTrain.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("FedTrain.sln not found above " + AppContext.BaseDirectory);
    }
}
