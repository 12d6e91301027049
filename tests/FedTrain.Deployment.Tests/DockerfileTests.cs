using System.Text.RegularExpressions;
using FedTrain.Deployment.Tests.Support;

namespace FedTrain.Deployment.Tests;

/// <summary>
/// No container engine runs here, so the Dockerfiles are linted instead of built: pinned base images, stages that
/// exist, sources that exist, lean apt layers, a non-root user and an exec-form entry point.
/// </summary>
public sealed partial class DockerfileTests
{
    [Theory]
    [InlineData("docker/cpu.Dockerfile")]
    [InlineData("docker/cuda.Dockerfile")]
    public void Dockerfile_is_well_formed(string file)
    {
        var instructions = Dockerfile.Parse(File.ReadAllText(RepoPaths.Combine(file)));
        var arguments = instructions.Where(i => i.Keyword == "ARG").Select(i => i.Arguments.Split('=')[0]).ToHashSet();
        var stages = new List<string>();

        foreach (var (keyword, text) in instructions)
        {
            switch (keyword)
            {
                case "FROM":
                    var from = FromLine().Match(text);
                    Assert.True(from.Success, $"FROM {text}");
                    string image = from.Groups["image"].Value;
                    Assert.True(image.Contains(':', StringComparison.Ordinal) && !image.EndsWith(":latest", StringComparison.Ordinal), $"{file}: pin a tag for {image}");
                    foreach (Match reference in ArgReference().Matches(image))
                    {
                        Assert.Contains(reference.Groups[1].Value, arguments);
                    }

                    stages.Add(from.Groups["stage"].Value);
                    break;
                case "COPY":
                    string[] parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts[0].StartsWith("--from=", StringComparison.Ordinal))
                    {
                        Assert.Contains(parts[0]["--from=".Length..], stages.SkipLast(1));
                    }
                    else
                    {
                        Assert.All(parts[..^1], source => Assert.True(
                            source == "." || Path.Exists(RepoPaths.Combine(source)), $"{file}: COPY source {source} is not in the repository"));
                    }

                    break;
                case "RUN" when text.Contains("apt-get install", StringComparison.Ordinal):
                    Assert.Contains("--no-install-recommends", text, StringComparison.Ordinal);
                    Assert.Contains("rm -rf /var/lib/apt/lists/*", text, StringComparison.Ordinal);
                    break;
            }
        }

        Assert.True(stages.Count >= 3, $"{file}: native, dotnet and runtime stages");
        Assert.Equal(stages.Count - 1, stages.Count(s => s.Length > 0));
        var final = instructions.SkipWhile(i => i != instructions.Last(i => i.Keyword == "FROM")).ToList();
        var user = Assert.Single(final, i => i.Keyword == "USER");
        Assert.DoesNotMatch("^(0|root)(:|$)", user.Arguments);
        Assert.StartsWith("[", Assert.Single(final, i => i.Keyword == "ENTRYPOINT").Arguments, StringComparison.Ordinal);
        Assert.Contains(final, i => i.Keyword == "COPY" && i.Arguments.Contains("libfedtrain_trainer.so", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_context_leaves_out_build_outputs()
    {
        string[] ignored = File.ReadAllLines(RepoPaths.Combine(".dockerignore"));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains("**/node_modules/", ignored);
        Assert.Contains(".git/", ignored);
    }

    [GeneratedRegex(@"^(?:--platform=\S+\s+)?(?<image>\S+)(?:\s+AS\s+(?<stage>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"\$\{(\w+)\}")]
    private static partial Regex ArgReference();
}
