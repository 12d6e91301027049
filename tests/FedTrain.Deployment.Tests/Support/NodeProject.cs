using System.Collections.Concurrent;
using System.Text.Json;

namespace FedTrain.Deployment.Tests.Support;

/// <summary>
/// An npm project of the repository (Web/, k8s/validate/) with its locked dependencies installed by
/// <c>npm ci</c>, once per test run and folder.
/// </summary>
internal static class NodeProject
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Installed = new(StringComparer.Ordinal);

    /// <summary>Returns the project's folder after making sure node_modules matches package-lock.json.</summary>
    public static Task<string> EnsureInstalledAsync(params string[] relativePath)
    {
        string directory = RepoPaths.Combine(relativePath);
        return Installed.GetOrAdd(directory, d => new Lazy<Task<string>>(() => InstallAsync(d))).Value;
    }

    private static async Task<string> InstallAsync(string directory)
    {
        // npm records what it installed in node_modules/.package-lock.json; when it equals the lock, skip npm ci.
        string installed = Path.Combine(directory, "node_modules", ".package-lock.json");
        if (File.Exists(installed) && SameDependencies(installed, Path.Combine(directory, "package-lock.json")))
        {
            return directory;
        }

        var result = await Tool.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], directory, timeout: TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, $"npm ci in {directory} failed: {result}");
        return directory;
    }

    private static bool SameDependencies(string installed, string locked)
    {
        var installedPackages = Packages(installed);
        var lockedPackages = Packages(locked);
        // Optional packages for other platforms (esbuild's binaries) are locked but never installed here.
        return installedPackages.All(p => lockedPackages.TryGetValue(p.Key, out var l) && l.Version == p.Value.Version)
            && lockedPackages.Where(p => p.Key.Length > 0 && !p.Value.Optional).All(p => installedPackages.ContainsKey(p.Key));
    }

    private static Dictionary<string, (string? Version, bool Optional)> Packages(string lockFile)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(lockFile));
        return document.RootElement.GetProperty("packages").EnumerateObject().ToDictionary(
            p => p.Name,
            p => (p.Value.TryGetProperty("version", out var v) ? v.GetString() : null,
                  p.Value.TryGetProperty("optional", out var o) && o.GetBoolean()),
            StringComparer.Ordinal);
    }
}
