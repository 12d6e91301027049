using System.Net;
using Orleans.Hosting.Kubernetes;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// A coordinator node in a Kubernetes pod (<c>--kubernetes</c>): Orleans' Kubernetes hosting names the silo after
/// the pod, and the nodes watch the coordinator pods through the API server, so that a deleted pod's silo is
/// declared dead at once instead of after missed probes.
/// </summary>
/// <remarks>
/// The pod's downward API gives the node <see cref="PodName"/>, <see cref="PodNamespace"/> and <see cref="PodIP"/>.
/// The pods must carry the labels <c>orleans/serviceId</c> and <c>orleans/clusterId</c> with this cluster's values
/// (Orleans patches them onto the pod when they do not), and the pod's service account may get, list, watch and
/// patch pods (k8s/base/coordinator/rbac.yaml). The flags stay authoritative: <c>ORLEANS_CLUSTER_ID</c> or
/// <c>ORLEANS_SERVICE_ID</c> in the environment, which Orleans would let override them, must agree with them.
/// </remarks>
internal static class KubernetesClusterHosting
{
    public const string PodName = KubernetesHostingOptions.PodNameEnvironmentVariable;
    public const string PodNamespace = KubernetesHostingOptions.PodNamespaceEnvironmentVariable;
    public const string PodIP = KubernetesHostingOptions.PodIPEnvironmentVariable;
    public const string ApiServerHost = "KUBERNETES_SERVICE_HOST";

    /// <summary>The Orleans service id of every FedTrain cluster; clusters differ by their cluster id.</summary>
    public const string ServiceId = "fedtrain";

    /// <summary>Adds Orleans' Kubernetes hosting to a node whose settings ask for it.</summary>
    public static ISiloBuilder UseKubernetesHostingWhenAsked(this ISiloBuilder silo, ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(cluster);
        // A StatefulSet's pod keeps its name when its container restarts, so deleting "the pod of a dead silo" could
        // delete the restarted, healthy node: Orleans' pod deletion (DeleteDefunctSiloPods) stays off.
        return cluster.Kubernetes && !cluster.IsSingleNode ? silo.UseKubernetesHosting() : silo;
    }

    /// <summary>This pod's IP address, which the other nodes reach it at.</summary>
    public static IPAddress? PodAddress(Func<string, string?> environment) =>
        environment(PodIP) is { Length: > 0 } ip && IPAddress.TryParse(ip, out var address) ? address : null;

    /// <summary>Refuses <c>--kubernetes</c> without a cluster or outside a pod that names itself, naming what is missing.</summary>
    public static void Validate(ClusterSettings cluster, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(environment);
        if (cluster.IsSingleNode)
        {
            throw new ArgumentException("--kubernetes is for a node of a cluster: give --cluster postgres://... as well (a cluster of one needs no pod discovery).");
        }

        // Set by the kubelet in every container: without it Orleans' client finds no API server.
        if (string.IsNullOrWhiteSpace(environment(ApiServerHost)))
        {
            throw new ArgumentException($"--kubernetes runs in a Kubernetes pod, whose service account reaches the API server; {ApiServerHost} is not set here.");
        }

        string[] missing = [.. new[] { PodName, PodNamespace, PodIP }.Where(v => string.IsNullOrWhiteSpace(environment(v)))];
        if (missing.Length > 0)
        {
            throw new ArgumentException(
                $"--kubernetes needs the pod's {string.Join(", ", missing)} in the environment, from the downward API (metadata.name, metadata.namespace, status.podIP; see k8s/base/coordinator/statefulset.yaml).");
        }

        if (PodAddress(environment) is null)
        {
            throw new ArgumentException($"{PodIP} must be an IP address, got '{environment(PodIP)}'.");
        }

        Agree(environment, KubernetesHostingOptions.ClusterIdEnvironmentVariable, cluster.ClusterId, "--cluster-id");
        Agree(environment, KubernetesHostingOptions.ServiceIdEnvironmentVariable, ServiceId, "FedTrain's service id");
    }

    private static void Agree(Func<string, string?> environment, string variable, string expected, string what)
    {
        if (environment(variable) is { Length: > 0 } value && !string.Equals(value, expected, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{variable} is '{value}' but {what} is '{expected}': remove the variable or make them agree.");
        }
    }
}
