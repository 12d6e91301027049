using System.Text.Json;

namespace FedTrain.Deployment.Tests.Support;

/// <summary>Lookups in rendered Kubernetes objects.</summary>
internal static class Manifests
{
    public static JsonElement Single(IEnumerable<JsonElement> objects, string kind, string name) =>
        objects.Single(o => o.GetProperty("kind").GetString() == kind && o.GetProperty("metadata").GetProperty("name").GetString() == name);

    public static IEnumerable<JsonElement> OfKind(IEnumerable<JsonElement> objects, string kind) =>
        objects.Where(o => o.GetProperty("kind").GetString() == kind);

    /// <summary>The pod spec of a Deployment or StatefulSet.</summary>
    public static JsonElement PodSpec(JsonElement workload) =>
        workload.GetProperty("spec").GetProperty("template").GetProperty("spec");

    public static bool IsWorker(JsonElement workload) =>
        workload.GetProperty("metadata").GetProperty("labels").TryGetProperty("app.kubernetes.io/component", out var component)
        && component.GetString() == "worker";
}
