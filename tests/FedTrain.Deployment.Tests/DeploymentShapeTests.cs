using System.Text.Json;
using FedTrain.Deployment.Tests.Support;

namespace FedTrain.Deployment.Tests;

/// <summary>What the rendered overlays promise operators: probes, volumes, limits, GPU placement, isolation, dashboards.</summary>
public sealed class DeploymentShapeTests
{
    [Fact]
    public async Task Coordinator_has_its_services_and_disruption_budget()
    {
        var objects = await RenderAsync("k8s/overlays/dev");
        var container = Manifests.PodSpec(Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator")).GetProperty("containers")[0];

        Assert.Contains(container.GetProperty("args").EnumerateArray(), a => a.GetString() == "/etc/fedtrain/coordinator.json");
        var services = Manifests.OfKind(objects, "Service").Select(s => s.GetProperty("metadata").GetProperty("name").GetString()).ToList();
        Assert.Contains("fedtrain-coordinator-grpc", services);
        Assert.Contains("fedtrain-coordinator-http", services);
        Assert.Contains(Manifests.OfKind(objects, "PodDisruptionBudget"), p => p.GetProperty("metadata").GetProperty("name").GetString() == "fedtrain-coordinator");
    }

    [Theory]
    [InlineData("k8s/overlays/dev")]
    [InlineData("k8s/overlays/gpu")]
    public async Task Every_container_has_resource_requests_and_limits(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var workloads = Manifests.OfKind(objects, "StatefulSet").Concat(Manifests.OfKind(objects, "Deployment")).ToList();
        Assert.NotEmpty(workloads);
        foreach (var container in workloads.SelectMany(w => Manifests.PodSpec(w).GetProperty("containers").EnumerateArray()))
        {
            var resources = container.GetProperty("resources");
            Assert.True(resources.TryGetProperty("requests", out var requests) && requests.TryGetProperty("memory", out _), container.GetProperty("name").GetString());
            Assert.True(resources.TryGetProperty("limits", out var limits) && limits.TryGetProperty("memory", out _), container.GetProperty("name").GetString());
        }
    }

    [Theory]
    [InlineData("k8s/overlays/dev")]
    [InlineData("k8s/overlays/gpu")]
    public async Task Every_secret_a_workload_reads_is_rendered_with_the_keys_it_reads(string overlay)
    {
        var objects = await RenderAsync(overlay);
        // The dev overlay leaves the node certificate to `kubectl create secret` (docs/deployment.md): no key is committed.
        string[] createdWithKubectl = overlay == "k8s/overlays/dev" ? ["fedtrain-node-tls"] : [];
        var secrets = Manifests.OfKind(objects, "Secret").ToDictionary(s => s.GetProperty("metadata").GetProperty("name").GetString()!, StringComparer.Ordinal);
        var workloads = Manifests.OfKind(objects, "StatefulSet").Concat(Manifests.OfKind(objects, "Deployment")).ToList();

        var references = new List<(string Workload, string Secret, string? Key)>();
        foreach (var workload in workloads)
        {
            string name = workload.GetProperty("metadata").GetProperty("name").GetString()!;
            var pod = Manifests.PodSpec(workload);
            foreach (var volume in pod.TryGetProperty("volumes", out var volumes) ? volumes.EnumerateArray() : Enumerable.Empty<JsonElement>())
            {
                if (!volume.TryGetProperty("secret", out var secret))
                {
                    continue;
                }

                string secretName = secret.GetProperty("secretName").GetString()!;
                if (secret.TryGetProperty("items", out var items))
                {
                    references.AddRange(items.EnumerateArray().Select(i => (name, secretName, (string?)i.GetProperty("key").GetString())));
                }
                else
                {
                    references.Add((name, secretName, null));
                }
            }

            foreach (var variable in pod.GetProperty("containers").EnumerateArray().SelectMany(c => c.TryGetProperty("env", out var env) ? env.EnumerateArray() : Enumerable.Empty<JsonElement>()))
            {
                if (variable.TryGetProperty("valueFrom", out var from) && from.TryGetProperty("secretKeyRef", out var reference))
                {
                    references.Add((name, reference.GetProperty("name").GetString()!, reference.GetProperty("key").GetString()));
                }
            }
        }

        Assert.Contains(references, r => r.Workload == "fedtrain-coordinator" && r.Secret == "fedtrain-node-tls");
        foreach (var (workload, secretName, key) in references)
        {
            if (createdWithKubectl.Contains(secretName))
            {
                Assert.False(secrets.ContainsKey(secretName), $"{overlay} renders {secretName}, which it leaves to kubectl");
                continue;
            }

            Assert.True(secrets.TryGetValue(secretName, out var secret), $"{workload} reads Secret {secretName}, which {overlay} does not render");
            var data = secret.TryGetProperty("stringData", out var stringData) ? stringData : secret.GetProperty("data");
            Assert.True(key is null || data.TryGetProperty(key, out _), $"{workload} reads key {key} of {secretName}, which it lacks");
        }
    }

    [Fact]
    public async Task Gpu_overlay_gives_every_worker_a_gpu_on_a_gpu_node_and_the_cuda_image()
    {
        var objects = await RenderAsync("k8s/overlays/gpu");
        var workers = Manifests.OfKind(objects, "StatefulSet").Where(Manifests.IsWorker).ToList();
        Assert.Equal(2, workers.Count);
        foreach (var worker in workers)
        {
            var pod = Manifests.PodSpec(worker);
            var container = pod.GetProperty("containers")[0];
            Assert.Equal("1", container.GetProperty("resources").GetProperty("limits").GetProperty("nvidia.com/gpu").ToString());
            Assert.Equal("true", pod.GetProperty("nodeSelector").GetProperty("nvidia.com/gpu.present").GetString());
            Assert.Contains(pod.GetProperty("tolerations").EnumerateArray(), t => t.GetProperty("key").GetString() == "nvidia.com/gpu");
            Assert.Contains("fedtrain-cuda", container.GetProperty("image").GetString(), StringComparison.Ordinal);
            string[] args = container.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray();
            Assert.Equal("cuda", args[Array.IndexOf(args, "--device") + 1]);
        }

        // The coordinator aggregates on a CPU node.
        var coordinator = Manifests.PodSpec(Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator"));
        Assert.False(coordinator.GetProperty("containers")[0].GetProperty("resources").GetProperty("limits").TryGetProperty("nvidia.com/gpu", out _));
        Assert.False(coordinator.TryGetProperty("nodeSelector", out _));
    }

    [Fact]
    public async Task Workers_may_reach_only_the_coordinator_ports_it_admits_from_them_and_dns()
    {
        var objects = await RenderAsync("k8s/overlays/dev");
        var policy = Manifests.Single(objects, "NetworkPolicy", "fedtrain-workers").GetProperty("spec");

        Assert.Equal(["Ingress", "Egress"], policy.GetProperty("policyTypes").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(0, policy.GetProperty("ingress").GetArrayLength());
        var egress = policy.GetProperty("egress").EnumerateArray().ToList();
        Assert.Equal(2, egress.Count);
        var toCoordinator = egress[0];
        Assert.Equal("coordinator", toCoordinator.GetProperty("to")[0].GetProperty("podSelector").GetProperty("matchLabels").GetProperty("app.kubernetes.io/component").GetString());
        // The leader's gRPC port and the nodes' intake port: exactly what the coordinator's own policy admits from workers,
        // so that neither side's policy drops what the other lets through.
        int[] workerEgress = [.. toCoordinator.GetProperty("ports").EnumerateArray().Select(p => p.GetProperty("port").GetInt32())];
        Assert.Equal([50051, 50052], workerEgress);
        var fromWorkers = Manifests.Single(objects, "NetworkPolicy", "fedtrain-coordinator").GetProperty("spec").GetProperty("ingress").EnumerateArray()
            .Single(r => r.GetProperty("from")[0].TryGetProperty("podSelector", out var selector)
                && selector.TryGetProperty("matchLabels", out var labels)
                && labels.TryGetProperty("app.kubernetes.io/component", out var component) && component.GetString() == "worker");
        Assert.Equal(workerEgress, fromWorkers.GetProperty("ports").EnumerateArray().Select(p => p.GetProperty("port").GetInt32()));
        Assert.All(egress[1].GetProperty("ports").EnumerateArray(), p => Assert.Equal(53, p.GetProperty("port").GetInt32()));
        // The policy selects exactly the worker pods.
        Assert.All(Manifests.OfKind(objects, "StatefulSet").Where(Manifests.IsWorker), w =>
            Assert.Equal("worker", w.GetProperty("spec").GetProperty("template").GetProperty("metadata").GetProperty("labels").GetProperty("app.kubernetes.io/component").GetString()));
    }

    [Fact]
    public async Task Grafana_is_provisioned_with_every_dashboard_in_the_dashboards_folder()
    {
        var objects = await RenderAsync("k8s/overlays/dev");
        var provisioned = Manifests.OfKind(objects, "ConfigMap")
            .Single(c => c.GetProperty("metadata").GetProperty("name").GetString()!.StartsWith("grafana-dashboards-", StringComparison.Ordinal))
            .GetProperty("data").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);
        var files = Directory.GetFiles(RepoPaths.Combine("Dashboards", "grafana"), "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.Equal(files, provisioned);
        var grafana = Manifests.PodSpec(Manifests.Single(objects, "Deployment", "grafana"));
        Assert.Contains(grafana.GetProperty("volumes").EnumerateArray(), v =>
            v.TryGetProperty("configMap", out var map) && map.GetProperty("name").GetString()!.StartsWith("grafana-dashboards-", StringComparison.Ordinal));
        Assert.Contains(Manifests.OfKind(objects, "ConfigMap"), c => c.GetProperty("metadata").GetProperty("name").GetString()!.StartsWith("prometheus-config-", StringComparison.Ordinal));
        Assert.Contains(Manifests.OfKind(objects, "ConfigMap"), c => c.GetProperty("metadata").GetProperty("name").GetString()!.StartsWith("otel-collector-config-", StringComparison.Ordinal));
    }

    private static async Task<JsonElement[]> RenderAsync(string overlay)
    {
        var (result, objects) = await Kustomize.RenderAndValidateAsync(overlay);
        Assert.True(result.ExitCode == 0, result.ToString());
        return objects;
    }
}
