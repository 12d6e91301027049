using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using FedTrain.Cli.Commands;
using FedTrain.Deployment.Tests.Support;

namespace FedTrain.Deployment.Tests;

/// <summary>
/// The coordinator as a three-node Orleans cluster on Kubernetes (docs/deployment.md, "The coordinator cluster"):
/// the flags and pod environment of <c>--kubernetes</c>, pod discovery RBAC, the silo port and the policy that opens
/// it between nodes only, mutual TLS between the nodes from the node certificate Secret, probes that keep standby
/// nodes alive, and one run directory shared by every node.
/// </summary>
public sealed partial class CoordinatorClusterShapeTests
{
    private const int SiloPort = 11111;
    private const int GrpcPort = 50051;
    private const int IntakePort = 50052;
    private const string NodeTlsSecret = "fedtrain-node-tls";

    /// <summary>Each <c>--silo-tls-*</c> flag and the Secret key its file must come from: the names <c>fedtrain certs dev</c> writes.</summary>
    private static readonly (string Flag, string Key)[] NodeTlsFlags =
        [("--silo-tls-cert", "node.crt"), ("--silo-tls-key", "node.key"), ("--silo-tls-ca", "ca.crt")];

    [Theory]
    [InlineData("k8s/overlays/dev")]
    [InlineData("k8s/overlays/gpu")]
    public async Task Three_nodes_start_together_with_the_cluster_flags_from_the_database_secret(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var coordinator = Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator");
        var spec = coordinator.GetProperty("spec");
        var container = Container(coordinator);

        Assert.Equal(3, spec.GetProperty("replicas").GetInt32());
        // OrderedReady (and a rolling update) would wait for each pod to be ready, which a standby node never is.
        Assert.Equal("Parallel", spec.GetProperty("podManagementPolicy").GetString());
        Assert.Equal("OnDelete", spec.GetProperty("updateStrategy").GetProperty("type").GetString());

        string[] args = Args(container);
        Assert.Equal("coordinator", args[0]);
        Assert.Contains("--kubernetes", args);
        Assert.Equal(SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture), After(args, "--silo-port"));
        var env = Env(container);
        foreach (var (flag, key) in new[] { ("--database", "database"), ("--cluster", "cluster") })
        {
            string value = After(args, flag);
            Assert.StartsWith("$(", value, StringComparison.Ordinal);
            var secret = env[value[2..^1]].GetProperty("valueFrom").GetProperty("secretKeyRef");
            Assert.StartsWith("fedtrain-database", secret.GetProperty("name").GetString(), StringComparison.Ordinal);
            Assert.Equal(key, secret.GetProperty("key").GetString());
        }

        // The password reaches Npgsql (store and membership) as PGPASSWORD, never on the command line.
        Assert.Equal("password", env["PGPASSWORD"].GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("key").GetString());
        Assert.Contains(Manifests.OfKind(objects, "Secret"), s => s.GetProperty("metadata").GetProperty("name").GetString()!.StartsWith("fedtrain-database", StringComparison.Ordinal)
            && new[] { "database", "cluster", "password" }.All(k => Data(s).TryGetProperty(k, out _)));
    }

    [Theory]
    [InlineData("k8s/overlays/dev")]
    [InlineData("k8s/overlays/gpu")]
    public async Task Nodes_talk_mutual_tls_with_files_from_the_node_certificate_secret_mounted_read_only(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var coordinator = Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator");
        var pod = Manifests.PodSpec(coordinator);
        string[] args = Args(Container(coordinator));

        // The flags need --cluster (a cluster of one has no node traffic), and all three are given, once each.
        Assert.Contains("--cluster", args);
        var files = NodeTlsFlags.Select(f => NodeTlsFile(coordinator, f.Flag)).ToList();

        // All three files come from one read-only mount of the node certificate Secret, each from the key it names.
        var volume = Assert.Single(files.Select(f => f.Volume.GetProperty("name").GetString()).Distinct());
        Assert.All(files, f =>
        {
            Assert.Equal(volume, f.Mount.GetProperty("name").GetString());
            Assert.True(f.Mount.TryGetProperty("readOnly", out var readOnly) && readOnly.GetBoolean(), $"{f.Path} is mounted read-only");
            Assert.False(f.Mount.TryGetProperty("subPath", out _), "a subPath mount would not see a renewed Secret");
            var secret = f.Volume.GetProperty("secret");
            Assert.Equal(NodeTlsSecret, secret.GetProperty("secretName").GetString());
            // A missing Secret must keep the pod from starting, not start a node without its files.
            Assert.False(secret.TryGetProperty("optional", out var optional) && optional.GetBoolean(), "the node certificate is not optional");
        });
        Assert.Equal(NodeTlsFlags.Select(f => f.Key), files.Select(f => f.Key));

        // The private key is readable by its owner only (0400); the kubelet gives the pod's fsGroup read access on
        // top, which is how the non-root node process reads it.
        var key = files[Array.FindIndex(NodeTlsFlags, f => f.Flag == "--silo-tls-key")];
        Assert.Equal(Convert.ToInt32("400", 8), key.Item!.Value.GetProperty("mode").GetInt32());
        var security = pod.GetProperty("securityContext");
        Assert.True(security.GetProperty("runAsNonRoot").GetBoolean());
        Assert.NotEqual(0, security.GetProperty("runAsUser").GetInt64());
        Assert.True(security.TryGetProperty("fsGroup", out _), "without fsGroup a 0400 key owned by root is unreadable by the node");
    }

    [Fact]
    public async Task Node_certificate_secret_has_exactly_the_keys_the_flags_read_and_certs_dev_writes_them()
    {
        var objects = await RenderAsync("k8s/overlays/gpu");
        var coordinator = Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator");
        var secret = Manifests.Single(objects, "Secret", NodeTlsSecret);

        string[] keys = [.. Data(secret).EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
        string[] read = [.. NodeTlsFlags.Select(f => NodeTlsFile(coordinator, f.Flag).Key).Order(StringComparer.Ordinal)];
        Assert.Equal(read, keys);
        // kubernetes.io/tls would demand tls.crt and tls.key; the keys here are certs dev's file names.
        Assert.Equal("Opaque", secret.GetProperty("type").GetString());

        // `fedtrain certs dev` writes a file under each key's name: the node certificate with its key, issued by the CA.
        string directory = Path.Combine(Path.GetTempPath(), $"fedtrain-node-tls-{Guid.NewGuid():N}");
        try
        {
            DevCertificates.Generate(directory, [], ["worker"], TimeSpan.FromDays(1));
            Assert.All(keys, k => Assert.True(File.Exists(Path.Combine(directory, k)), $"certs dev writes {k}"));
            using var node = X509Certificate2.CreateFromPemFile(Path.Combine(directory, "node.crt"), Path.Combine(directory, "node.key"));
            using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(directory, "ca.crt"));
            Assert.True(node.HasPrivateKey);
            Assert.Equal(ca.Subject, node.Issuer);
            Assert.Contains(ca.Extensions.OfType<X509BasicConstraintsExtension>(), b => b.CertificateAuthority);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Dev_overlay_leaves_the_node_certificate_secret_to_the_kubectl_command_the_docs_give()
    {
        var objects = await RenderAsync("k8s/overlays/dev");
        var coordinator = Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator");

        // No private key is committed, and an empty placeholder applied over the created Secret would break the nodes.
        Assert.DoesNotContain(Manifests.OfKind(objects, "Secret"), s => s.GetProperty("metadata").GetProperty("name").GetString()!.StartsWith(NodeTlsSecret, StringComparison.Ordinal));

        // docs/deployment.md creates it with one key per flag, in the overlay's namespace.
        string[] read = [.. NodeTlsFlags.Select(f => NodeTlsFile(coordinator, f.Flag).Key).Order(StringComparer.Ordinal)];
        string docs = (await File.ReadAllTextAsync(RepoPaths.Combine("docs", "deployment.md"))).Replace("\\\n", " ", StringComparison.Ordinal);
        var commands = docs.Split('\n').Where(l => l.Contains("create secret generic " + NodeTlsSecret, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(commands);
        Assert.All(commands, command =>
        {
            string[] created = [.. FromFile().Matches(command).Select(m => m.Groups["key"].Success ? m.Groups["key"].Value : Path.GetFileName(m.Groups["path"].Value)).Order(StringComparer.Ordinal)];
            Assert.Equal(read, created);
        });
        string ns = coordinator.GetProperty("metadata").GetProperty("namespace").GetString()!;
        Assert.Contains(commands, c => c.Contains($"-n {ns} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_node_knows_its_pod_from_the_downward_api_and_carries_the_orleans_labels()
    {
        var objects = await RenderAsync("k8s/overlays/dev");
        var coordinator = Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator");
        var env = Env(Container(coordinator));

        Assert.Equal("metadata.name", FieldRef(env["POD_NAME"]));
        Assert.Equal("metadata.namespace", FieldRef(env["POD_NAMESPACE"]));
        Assert.Equal("status.podIP", FieldRef(env["POD_IP"]));
        var labels = coordinator.GetProperty("spec").GetProperty("template").GetProperty("metadata").GetProperty("labels");
        Assert.Equal("fedtrain", labels.GetProperty("orleans/serviceId").GetString());
        Assert.Equal("fedtrain", labels.GetProperty("orleans/clusterId").GetString());
    }

    [Fact]
    public async Task The_nodes_service_account_may_read_watch_and_label_pods_and_nothing_else()
    {
        var objects = await RenderAsync("k8s/overlays/dev");
        var pod = Manifests.PodSpec(Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator"));

        Assert.Equal("fedtrain-coordinator", pod.GetProperty("serviceAccountName").GetString());
        Assert.True(pod.GetProperty("automountServiceAccountToken").GetBoolean(), "the nodes call the API server");
        Manifests.Single(objects, "ServiceAccount", "fedtrain-coordinator");
        var rule = Assert.Single(Manifests.Single(objects, "Role", "fedtrain-coordinator").GetProperty("rules").EnumerateArray());
        Assert.Equal([""], rule.GetProperty("apiGroups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(["pods"], rule.GetProperty("resources").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(["get", "list", "patch", "watch"], rule.GetProperty("verbs").EnumerateArray().Select(v => v.GetString()).Order(StringComparer.Ordinal));

        var binding = Manifests.Single(objects, "RoleBinding", "fedtrain-coordinator");
        Assert.Equal("Role", binding.GetProperty("roleRef").GetProperty("kind").GetString());
        Assert.Equal("fedtrain-coordinator", binding.GetProperty("roleRef").GetProperty("name").GetString());
        var subject = Assert.Single(binding.GetProperty("subjects").EnumerateArray());
        Assert.Equal("ServiceAccount", subject.GetProperty("kind").GetString());
        Assert.Equal("fedtrain-coordinator", subject.GetProperty("name").GetString());
        // The workers, which hold private data, keep no token.
        Assert.All(Manifests.OfKind(objects, "StatefulSet").Where(Manifests.IsWorker), w =>
            Assert.False(Manifests.PodSpec(w).GetProperty("automountServiceAccountToken").GetBoolean()));
    }

    [Fact]
    public async Task Only_the_leader_is_ready_and_standby_nodes_stay_alive_on_the_silo_port()
    {
        var objects = await RenderAsync("k8s/overlays/dev");
        var container = Container(Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator"));

        Assert.Contains(container.GetProperty("ports").EnumerateArray(), p => p.GetProperty("name").GetString() == "silo" && p.GetProperty("containerPort").GetInt32() == SiloPort);
        // Standby nodes open no gRPC or HTTP port: a probe there would restart them.
        foreach (string probe in new[] { "livenessProbe", "startupProbe" })
        {
            var check = container.GetProperty(probe);
            Assert.False(check.TryGetProperty("grpc", out _), probe);
            Assert.False(check.TryGetProperty("httpGet", out _), probe);
            Assert.Equal(SiloPort, check.GetProperty("tcpSocket").GetProperty("port").GetInt32());
        }

        var readiness = container.GetProperty("readinessProbe").GetProperty("grpc");
        Assert.Equal(GrpcPort, readiness.GetProperty("port").GetInt32());
        Assert.Equal("fedtrain.v1.Coordinator", readiness.GetProperty("service").GetString());
    }

    [Fact]
    public async Task Silo_traffic_is_allowed_between_coordinator_pods_only_beside_the_worker_and_scrape_rules()
    {
        var objects = await RenderAsync("k8s/overlays/dev");
        var ingress = Manifests.Single(objects, "NetworkPolicy", "fedtrain-coordinator").GetProperty("spec").GetProperty("ingress").EnumerateArray().ToList();

        var silo = Assert.Single(ingress, r => Ports(r).Contains(SiloPort));
        Assert.Equal([SiloPort], Ports(silo));
        var from = Assert.Single(silo.GetProperty("from").EnumerateArray());
        Assert.False(from.TryGetProperty("namespaceSelector", out _));
        Assert.Equal("coordinator", from.GetProperty("podSelector").GetProperty("matchLabels").GetProperty("app.kubernetes.io/component").GetString());
        var grpc = Assert.Single(ingress, r => Ports(r).Contains(GrpcPort));
        Assert.Equal("worker", grpc.GetProperty("from")[0].GetProperty("podSelector").GetProperty("matchLabels").GetProperty("app.kubernetes.io/component").GetString());
        // The intake port is for the workers too, in the same rule as the leader's gRPC port.
        Assert.Equal([GrpcPort, IntakePort], Ports(grpc));
        Assert.Single(ingress, r => Ports(r).Contains(8080));
    }

    [Theory]
    [InlineData("k8s/overlays/dev")]
    [InlineData("k8s/overlays/gpu")]
    public async Task Every_node_receives_uploads_at_its_own_name_under_the_headless_service_which_publishes_standby_pods(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var coordinator = Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator");
        var container = Container(coordinator);
        string[] args = Args(container);
        string serviceName = coordinator.GetProperty("spec").GetProperty("serviceName").GetString()!;

        Assert.Equal(IntakePort.ToString(System.Globalization.CultureInfo.InvariantCulture), After(args, "--intake-port"));
        Assert.Contains(container.GetProperty("ports").EnumerateArray(), p => p.GetProperty("name").GetString() == "intake" && p.GetProperty("containerPort").GetInt32() == IntakePort);
        // The pod's own DNS name (hostname.subdomain.namespace.svc), from the downward API variables Kubernetes expands.
        string address = After(args, "--intake-address");
        Assert.Equal($"http://$(POD_NAME).{serviceName}.$(POD_NAMESPACE).svc:{IntakePort}", address);
        var env = Env(container);
        Assert.Equal("metadata.name", FieldRef(env["POD_NAME"]));
        Assert.Equal("metadata.namespace", FieldRef(env["POD_NAMESPACE"]));

        // That name resolves only through a headless Service of the StatefulSet's serviceName, and for a standby pod
        // (never ready) only if the Service publishes pods that are not ready.
        var headless = Manifests.Single(objects, "Service", serviceName).GetProperty("spec");
        Assert.Equal("None", headless.GetProperty("clusterIP").GetString());
        Assert.True(headless.GetProperty("publishNotReadyAddresses").GetBoolean());
        Assert.Contains(headless.GetProperty("ports").EnumerateArray(), p => p.GetProperty("port").GetInt32() == IntakePort);
        // The worker Service still routes to the ready pod (the leader) alone.
        var workerService = Manifests.Single(objects, "Service", "fedtrain-coordinator-grpc").GetProperty("spec");
        Assert.False(workerService.TryGetProperty("publishNotReadyAddresses", out var published) && published.GetBoolean());
    }

    [Theory]
    [InlineData("k8s/overlays/dev")]
    [InlineData("k8s/overlays/gpu")]
    public async Task Every_node_mounts_one_shared_read_write_many_claim_at_the_run_directory(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var coordinator = Manifests.Single(objects, "StatefulSet", "fedtrain-coordinator");

        Assert.False(coordinator.GetProperty("spec").TryGetProperty("volumeClaimTemplates", out _), "a claim per pod would give each node its own run directory");
        var volume = Manifests.PodSpec(coordinator).GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "run");
        string claimName = volume.GetProperty("persistentVolumeClaim").GetProperty("claimName").GetString()!;
        var claim = Manifests.Single(objects, "PersistentVolumeClaim", claimName);
        Assert.Equal(["ReadWriteMany"], claim.GetProperty("spec").GetProperty("accessModes").EnumerateArray().Select(m => m.GetString()));

        string mountPath = Container(coordinator).GetProperty("volumeMounts").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "run").GetProperty("mountPath").GetString()!;
        string configMap = Manifests.PodSpec(coordinator).GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "config").GetProperty("configMap").GetProperty("name").GetString()!;
        using var config = JsonDocument.Parse(Manifests.Single(objects, "ConfigMap", configMap).GetProperty("data").GetProperty("coordinator.json").GetString()!);
        string runDirectory = config.RootElement.GetProperty("run_dir").GetString()!;
        Assert.StartsWith(mountPath.TrimEnd('/') + "/", runDirectory, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Standby_nodes_may_be_evicted_and_the_budget_counts_one_node()
    {
        var objects = await RenderAsync("k8s/overlays/dev");
        var budget = Manifests.Single(objects, "PodDisruptionBudget", "fedtrain-coordinator").GetProperty("spec");

        Assert.Equal(1, budget.GetProperty("maxUnavailable").GetInt32());
        Assert.False(budget.TryGetProperty("minAvailable", out _));
        Assert.Equal("AlwaysAllow", budget.GetProperty("unhealthyPodEvictionPolicy").GetString());
    }

    [Fact]
    public async Task Dev_overlay_brings_the_postgresql_its_database_secret_names()
    {
        var objects = await RenderAsync("k8s/overlays/dev");
        var secret = Manifests.OfKind(objects, "Secret").Single(s => s.GetProperty("metadata").GetProperty("name").GetString()!.StartsWith("fedtrain-database", StringComparison.Ordinal));

        foreach (string key in new[] { "database", "cluster" })
        {
            var url = new Uri(Decoded(secret, key));
            Assert.Equal("postgres", url.Scheme);
            Assert.Empty(url.UserInfo.Split(':').Skip(1));
            Manifests.Single(objects, "Service", url.Host);
        }

        Assert.NotEmpty(Decoded(secret, "password"));
        Assert.Contains(Manifests.OfKind(objects, "StatefulSet"), s => s.GetProperty("metadata").GetProperty("name").GetString() == "fedtrain-postgres");
    }

    private static JsonElement Container(JsonElement workload) => Manifests.PodSpec(workload).GetProperty("containers")[0];

    private static string[] Args(JsonElement container) => [.. container.GetProperty("args").EnumerateArray().Select(a => a.GetString()!)];

    /// <summary>
    /// Where the coordinator's <paramref name="flag"/> reads its file: the one volume mount that holds the path, its
    /// Secret volume, and the Secret key projected at that path (with its item, when the volume lists items).
    /// </summary>
    private static (string Path, JsonElement Mount, JsonElement Volume, string Key, JsonElement? Item) NodeTlsFile(JsonElement coordinator, string flag)
    {
        string[] args = Args(Container(coordinator));
        Assert.Single(args, a => a == flag);
        string path = After(args, flag);
        Assert.StartsWith("/", path, StringComparison.Ordinal);
        var mount = Assert.Single(
            Container(coordinator).GetProperty("volumeMounts").EnumerateArray(),
            m => path.StartsWith(m.GetProperty("mountPath").GetString()!.TrimEnd('/') + "/", StringComparison.Ordinal));
        string relative = path[(mount.GetProperty("mountPath").GetString()!.TrimEnd('/').Length + 1)..];
        var volume = Manifests.PodSpec(coordinator).GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("name").GetString() == mount.GetProperty("name").GetString());
        Assert.True(volume.TryGetProperty("secret", out var secret), $"{flag} {path} comes from a Secret volume");
        if (!secret.TryGetProperty("items", out var items))
        {
            return (path, mount, volume, relative, null);
        }

        var item = Assert.Single(items.EnumerateArray(), i => i.GetProperty("path").GetString() == relative);
        return (path, mount, volume, item.GetProperty("key").GetString()!, item);
    }

    /// <summary>A <c>--from-file=[KEY=]PATH</c> argument of <c>kubectl create secret generic</c>.</summary>
    [GeneratedRegex(@"--from-file=(?:(?<key>[^=\s]+)=)?(?<path>\S+)")]
    private static partial Regex FromFile();

    private static Dictionary<string, JsonElement> Env(JsonElement container) =>
        container.GetProperty("env").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, StringComparer.Ordinal);

    private static string FieldRef(JsonElement variable) => variable.GetProperty("valueFrom").GetProperty("fieldRef").GetProperty("fieldPath").GetString()!;

    private static string After(string[] args, string flag) => args[Array.IndexOf(args, flag) + 1];

    private static int[] Ports(JsonElement rule) => [.. rule.GetProperty("ports").EnumerateArray().Select(p => p.GetProperty("port").GetInt32())];

    private static JsonElement Data(JsonElement secret) =>
        secret.TryGetProperty("stringData", out var stringData) ? stringData : secret.GetProperty("data");

    private static string Decoded(JsonElement secret, string key) =>
        secret.TryGetProperty("stringData", out var stringData)
            ? stringData.GetProperty(key).GetString()!
            : System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(secret.GetProperty("data").GetProperty(key).GetString()!));

    private static async Task<JsonElement[]> RenderAsync(string overlay)
    {
        var (result, objects) = await Kustomize.RenderAndValidateAsync(overlay);
        Assert.True(result.ExitCode == 0, result.ToString());
        return objects;
    }
}
