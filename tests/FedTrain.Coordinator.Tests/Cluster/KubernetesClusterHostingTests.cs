using System.Net;
using FedTrain.Coordinator.Cluster;

namespace FedTrain.Coordinator.Tests.Cluster;

/// <summary><c>--kubernetes</c> starts only as a node of a cluster, in a pod that names itself, with flags the environment agrees with.</summary>
public sealed class KubernetesClusterHostingTests
{
    private static readonly Dictionary<string, string> Pod = new(StringComparer.Ordinal)
    {
        ["POD_NAME"] = "fedtrain-coordinator-1",
        ["POD_NAMESPACE"] = "fedtrain",
        ["POD_IP"] = "10.244.1.7",
        ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1",
    };

    private static ClusterSettings Node() => new() { Membership = "postgres://fedtrain@db:5432/fedtrain", Kubernetes = true };

    private static Func<string, string?> Environment(IDictionary<string, string> variables) => name => variables.TryGetValue(name, out var value) ? value : null;

    [Fact]
    public void A_pod_with_its_name_namespace_and_ip_is_accepted_and_advertises_the_pod_ip()
    {
        KubernetesClusterHosting.Validate(Node(), Environment(Pod));

        Assert.Equal(IPAddress.Parse("10.244.1.7"), KubernetesClusterHosting.PodAddress(Environment(Pod)));
    }

    [Fact]
    public void A_cluster_of_one_is_refused_because_it_needs_no_pod_discovery()
    {
        var error = Assert.Throws<ArgumentException>(() => KubernetesClusterHosting.Validate(new ClusterSettings { Kubernetes = true }, Environment(Pod)));

        Assert.Contains("--cluster", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POD_NAME")]
    [InlineData("POD_NAMESPACE")]
    [InlineData("POD_IP")]
    public void A_missing_pod_variable_is_named(string variable)
    {
        var variables = new Dictionary<string, string>(Pod, StringComparer.Ordinal);
        variables.Remove(variable);

        var error = Assert.Throws<ArgumentException>(() => KubernetesClusterHosting.Validate(Node(), Environment(variables)));

        Assert.Contains(variable, error.Message, StringComparison.Ordinal);
        Assert.Contains("downward API", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Outside_a_pod_the_missing_api_server_is_named()
    {
        var variables = new Dictionary<string, string>(Pod, StringComparer.Ordinal);
        variables.Remove("KUBERNETES_SERVICE_HOST");

        var error = Assert.Throws<ArgumentException>(() => KubernetesClusterHosting.Validate(Node(), Environment(variables)));

        Assert.Contains("KUBERNETES_SERVICE_HOST is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pod_ip_that_is_not_an_address_is_refused()
    {
        var variables = new Dictionary<string, string>(Pod, StringComparer.Ordinal) { ["POD_IP"] = "fedtrain-coordinator-1" };

        var error = Assert.Throws<ArgumentException>(() => KubernetesClusterHosting.Validate(Node(), Environment(variables)));

        Assert.Contains("POD_IP must be an IP address", error.Message, StringComparison.Ordinal);
        Assert.Null(KubernetesClusterHosting.PodAddress(Environment(variables)));
    }

    [Theory]
    [InlineData("ORLEANS_CLUSTER_ID", "other", "--cluster-id")]
    [InlineData("ORLEANS_SERVICE_ID", "other", "service id")]
    public void An_orleans_id_in_the_environment_that_disagrees_with_the_flags_is_refused(string variable, string value, string named)
    {
        var variables = new Dictionary<string, string>(Pod, StringComparer.Ordinal) { [variable] = value };

        var error = Assert.Throws<ArgumentException>(() => KubernetesClusterHosting.Validate(Node(), Environment(variables)));

        Assert.Contains(variable, error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Orleans_ids_in_the_environment_that_agree_with_the_flags_are_accepted()
    {
        var variables = new Dictionary<string, string>(Pod, StringComparer.Ordinal) { ["ORLEANS_CLUSTER_ID"] = "fedtrain", ["ORLEANS_SERVICE_ID"] = "fedtrain" };

        KubernetesClusterHosting.Validate(Node(), Environment(variables));
    }
}
