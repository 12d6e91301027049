using System.Text.Json.Nodes;
using FedTrain.Deployment.Tests.Support;

namespace FedTrain.Deployment.Tests;

/// <summary>
/// The kustomize overlays render with kubectl, and every rendered object validates against its Kubernetes schema
/// with no unknown fields; a broken object does not.
/// </summary>
public sealed class ManifestSchemaTests
{
    [Theory]
    [InlineData("k8s/overlays/dev")]
    [InlineData("k8s/overlays/gpu")]
    public async Task Overlay_renders_and_every_object_validates_against_its_schema(string overlay)
    {
        var (result, objects) = await Kustomize.RenderAndValidateAsync(overlay);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"{objects.Length} objects checked, 0 invalid", result.Output, StringComparison.Ordinal);
        var kinds = objects.Select(o => o.GetProperty("kind").GetString()).ToHashSet();
        Assert.Superset(
            new HashSet<string?> { "Namespace", "StatefulSet", "Deployment", "Service", "ConfigMap", "Secret", "PersistentVolumeClaim", "PodDisruptionBudget", "NetworkPolicy",
                "ServiceAccount", "Role", "RoleBinding" },
            kinds);
    }

    [Fact]
    public async Task Object_with_a_wrong_type_or_a_missing_required_field_is_rejected()
    {
        var objects = (await Kustomize.RenderAndValidateAsync("k8s/overlays/dev")).Objects;
        var coordinator = JsonNode.Parse(Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator").GetRawText())!;
        // A named port where the schema wants a number: the kind of slip a YAML edit makes.
        coordinator["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"] = "grpc";
        var grafana = JsonNode.Parse(Manifests.Single(objects, "Deployment", "grafana").GetRawText())!;
        grafana["spec"]!["template"]!["spec"]!.AsObject().Remove("containers");

        // JSON is YAML: the validator reads both documents from one stream.
        var (result, _) = await Kustomize.ValidateAsync(coordinator.ToJsonString() + "\n---\n" + grafana.ToJsonString());

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("containerPort must be integer", result.Output, StringComparison.Ordinal);
        Assert.Contains("must have required property containers", result.Output, StringComparison.Ordinal);
        Assert.Contains("2 objects checked, 2 invalid", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Misspelt_field_is_rejected_although_the_api_server_would_silently_drop_it()
    {
        var objects = (await Kustomize.RenderAndValidateAsync("k8s/overlays/dev")).Objects;
        var coordinator = JsonNode.Parse(Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator").GetRawText())!;
        var container = coordinator["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();
        var probe = container["livenessProbe"]!;
        container.Remove("livenessProbe");
        container["livenesProbe"] = probe;

        var (result, _) = await Kustomize.ValidateAsync(coordinator.ToJsonString());

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("INVALID apps/v1 StatefulSet/fedtrain-coordinator", result.Output, StringComparison.Ordinal);
        Assert.Contains("'\"livenesProbe\"' does not exist in type 'IContainer'", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quoted_file_mode_of_the_node_key_is_rejected()
    {
        var objects = (await Kustomize.RenderAndValidateAsync("k8s/overlays/dev")).Objects;
        var coordinator = JsonNode.Parse(Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator").GetRawText())!;
        var nodeTls = coordinator["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().Single(v => (string?)v!["name"] == "node-tls")!;
        var key = nodeTls["secret"]!["items"]!.AsArray().Single(i => (string?)i!["key"] == "node.key")!;
        Assert.Equal(256, (int)key["mode"]!);
        // `mode: "0400"` in YAML is a string, which the API server refuses; unquoted 0400 is the octal number 256.
        key["mode"] = "0400";

        var (result, _) = await Kustomize.ValidateAsync(coordinator.ToJsonString());

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("INVALID apps/v1 StatefulSet/fedtrain-coordinator", result.Output, StringComparison.Ordinal);
        Assert.Contains("mode must be integer", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Object_of_a_kind_without_a_schema_is_rejected()
    {
        var (result, _) = await Kustomize.ValidateAsync("apiVersion: apps/v1\nkind: StatefulSett\nmetadata:\n  name: typo\n");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no schema for apps/v1 StatefulSett", result.Output, StringComparison.Ordinal);
    }
}
