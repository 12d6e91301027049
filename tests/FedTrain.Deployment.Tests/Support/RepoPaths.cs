namespace FedTrain.Deployment.Tests.Support;

/// <summary>The repository root, seen from the test assembly.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

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
