using FedTrain.Deployment.Tests.Support;

namespace FedTrain.Deployment.Tests;

/// <summary>
/// The live page's built files are committed (Web/dist) so that the coordinator builds with the .NET SDK alone;
/// these tests keep them honest against the sources.
/// </summary>
public sealed class WebBundleTests
{
    [Fact]
    public async Task Committed_bundle_equals_a_fresh_build_of_the_sources()
    {
        string web = await NodeProject.EnsureInstalledAsync("Web");
        string fresh = Directory.CreateTempSubdirectory("fedtrain-web-").FullName;
        try
        {
            var build = await Tool.RunAsync("node", ["build.mjs", "--out", fresh], web);
            Assert.True(build.ExitCode == 0, build.ToString());

            string committed = Path.Combine(web, "dist");
            var expected = Files(fresh);
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), Files(committed).Keys.Order(StringComparer.Ordinal));
            foreach (var (relative, path) in expected)
            {
                byte[] built = await File.ReadAllBytesAsync(path);
                byte[] kept = await File.ReadAllBytesAsync(Path.Combine(committed, relative));
                Assert.True(built.AsSpan().SequenceEqual(kept), $"Web/dist/{relative} is stale: run `npm run build` in Web/ and commit Web/dist.");
            }
        }
        finally
        {
            Directory.Delete(fresh, recursive: true);
        }
    }

    [Fact]
    public async Task Sources_type_check()
    {
        string web = await NodeProject.EnsureInstalledAsync("Web");
        var check = await Tool.RunAsync("node", [Path.Combine("node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", "."], web);
        Assert.True(check.ExitCode == 0, check.ToString());
    }

    private static Dictionary<string, string> Files(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(root, f), f => f, StringComparer.Ordinal);
}
