using System.Collections.Concurrent;
using System.Text.Json;

namespace FedTrain.Deployment.Tests.Support;

/// <summary>Renders a kustomization with kubectl and validates the objects with k8s/validate against their schemas.</summary>
internal static class Kustomize
{
    private static readonly Lazy<Task> KustomizeV5 = new(RequireKustomizeV5Async);
    private static readonly ConcurrentDictionary<string, Lazy<Task<(ToolResult, JsonElement[])>>> Rendered = new(StringComparer.Ordinal);

    /// <summary>Renders and validates an overlay once per test run; the tests only read the result.</summary>
    public static Task<(ToolResult Result, JsonElement[] Objects)> RenderAndValidateAsync(string kustomization) =>
        Rendered.GetOrAdd(kustomization, k => new Lazy<Task<(ToolResult, JsonElement[])>>(async () => await ValidateAsync(await RenderAsync(k)))).Value;

    public static async Task<string> RenderAsync(string kustomization)
    {
        await KustomizeV5.Value;
        var result = await Tool.RunAsync("kubectl", ["kustomize", RepoPaths.Combine(kustomization)]);
        Assert.True(result.ExitCode == 0, $"kubectl kustomize {kustomization} failed: {result}");
        Assert.True(result.Error.Length == 0, $"kubectl kustomize {kustomization} warned: {result.Error}");
        return result.Output;
    }

    /// <summary>Runs the schema validator over <paramref name="manifests"/> (YAML).</summary>
    /// <returns>The validator's result and the objects it read.</returns>
    public static async Task<(ToolResult Result, JsonElement[] Objects)> ValidateAsync(string manifests)
    {
        string validator = await NodeProject.EnsureInstalledAsync("k8s", "validate");
        string json = Path.Combine(Path.GetTempPath(), $"fedtrain-k8s-{Guid.NewGuid():N}.json");
        try
        {
            var result = await Tool.RunAsync("node", [Path.Combine(validator, "validate.mjs"), "--json", json], standardInput: manifests);
            if (!File.Exists(json))
            {
                return (result, []);
            }

            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            return (result, document.RootElement.EnumerateArray().Select(o => o.Clone()).ToArray());
        }
        finally
        {
            File.Delete(json);
        }
    }

    /// <summary>The manifests use kustomize v5 syntax (directories as resources, patches with targets).</summary>
    private static async Task RequireKustomizeV5Async()
    {
        var version = await Tool.RunAsync("kubectl", ["version", "--client", "-o", "json"]);
        Assert.True(version.ExitCode == 0, version.ToString());
        using var document = JsonDocument.Parse(version.Output);
        string kustomize = document.RootElement.TryGetProperty("kustomizeVersion", out var v) ? v.GetString() ?? "none" : "none";
        Assert.True(
            kustomize.StartsWith("v5.", StringComparison.Ordinal),
            $"kubectl on PATH bundles kustomize {kustomize}; the manifests need kustomize v5 (kubectl >= 1.27).");
    }
}
