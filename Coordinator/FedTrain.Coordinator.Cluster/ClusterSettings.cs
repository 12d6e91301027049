using System.Net;
using System.Net.Sockets;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// How a coordinator node joins its cluster. Without <see cref="Membership"/> the node is a cluster of one
/// (Orleans' localhost clustering, in memory): the default of <c>fedtrain coordinator</c> and <c>fedtrain demo</c>.
/// </summary>
public sealed class ClusterSettings
{
    /// <summary>Silo-to-silo port when several nodes form a cluster.</summary>
    public const int DefaultSiloPort = 11111;

    /// <summary>
    /// The PostgreSQL database (<c>postgres://...</c> or <c>Host=...</c>) where the nodes find each other (Orleans'
    /// ADO.NET membership; the tables are created by the first node). Null: a cluster of one.
    /// </summary>
    public string? Membership { get; set; }

    /// <summary>Names the cluster in the membership table: nodes with the same id and database form one cluster.</summary>
    public string ClusterId { get; set; } = "fedtrain";

    /// <summary>Silo-to-silo port; null: <see cref="DefaultSiloPort"/> in a cluster, a free port for a cluster of one.</summary>
    public int? SiloPort { get; set; }

    /// <summary>The address the other nodes reach this one at; null: the coordinator's bind address, or this host's first IPv4 address when that is 0.0.0.0.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>
    /// The node runs in a Kubernetes pod (<c>--kubernetes</c>, with <see cref="Membership"/> only): Orleans' Kubernetes
    /// hosting names the silo after the pod, advertises the pod's IP and watches the coordinator pods; see
    /// <see cref="KubernetesClusterHosting"/>.
    /// </summary>
    public bool Kubernetes { get; set; }

    /// <summary>How often each node calls the run grain (and so how soon after a node's death the run is led again).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// This node's certificate (PEM) for mutual TLS between the nodes, valid for server and client authentication
    /// (<c>fedtrain certs dev</c> writes <c>node.crt</c>); null: the nodes talk in plain TCP.
    /// </summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>The key of <see cref="TlsCertificateFile"/> (PEM).</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>The CA every node's certificate must chain to (PEM); only it is trusted.</summary>
    public string? TlsCaFile { get; set; }

    /// <summary>
    /// This node's intake port (<c>--intake-port</c>): where it receives uploads for the leading node, which spreads a
    /// round's workers over the nodes that have one and collects each node's partial sum at the round's close. Null:
    /// this node receives none (every upload goes to the leader's worker port). 0: a free port.
    /// </summary>
    public int? IntakePort { get; set; }

    /// <summary>
    /// The address workers upload to on this node (<c>--intake-address</c>, e.g. <c>https://node-b.example:50061</c>);
    /// null: the coordinator's scheme, <see cref="AdvertisedAddress"/> and the intake port. The server certificate must
    /// name it, as it names the worker-facing address.
    /// </summary>
    public string? IntakeAddress { get; set; }

    public bool IsSingleNode => Membership is null;

    /// <summary>Refuses settings a node cannot start with, naming the setting.</summary>
    public void Validate(CoordinatorOptions coordinator)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        if (Membership is { } membership && !PostgresConnectionString.IsPostgres(membership))
        {
            throw new ArgumentException("--cluster must name a PostgreSQL database (postgres://user@host:port/database): the nodes find each other there.");
        }

        if (Membership is not null && (coordinator.Database is not { } database || !PostgresConnectionString.IsPostgres(database)))
        {
            throw new ArgumentException("A cluster of several nodes keeps the run's state in PostgreSQL: give --database postgres://... as well (an SQLite file cannot be shared between nodes).");
        }

        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            throw new ArgumentException("--cluster-id must not be blank.");
        }

        if (SiloPort is < 1 or > 65535)
        {
            throw new ArgumentException($"--silo-port must be a port number (1-65535), got {SiloPort}.");
        }

        if (AdvertisedAddress is { } address && (!IPAddress.TryParse(address, out var ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
        {
            throw new ArgumentException($"--silo-address must be an IP address the other nodes can reach, got '{address}'.");
        }

        string?[] tls = [TlsCertificateFile, TlsKeyFile, TlsCaFile];
        if (tls.Any(f => f is not null))
        {
            if (tls.Any(f => f is null))
            {
                throw new ArgumentException("TLS between the nodes needs --silo-tls-cert, --silo-tls-key and --silo-tls-ca together.");
            }

            if (IsSingleNode)
            {
                throw new ArgumentException("--silo-tls-* secure the traffic between the nodes of a cluster: give --cluster as well (a cluster of one has no such traffic).");
            }

            if (tls.FirstOrDefault(f => !File.Exists(f)) is { } missing)
            {
                throw new ArgumentException($"TLS between the nodes: the file {missing} does not exist.");
            }
        }

        if (Kubernetes)
        {
            KubernetesClusterHosting.Validate(this, Environment.GetEnvironmentVariable);
        }

        if (IntakePort is < 0 or > 65535)
        {
            throw new ArgumentException($"--intake-port must be a port number (1-65535, or 0 for a free one), got {IntakePort}.");
        }

        if (IntakePort is not null && IsSingleNode)
        {
            throw new ArgumentException("--intake-port spreads a round's uploads over the nodes of a cluster: give --cluster as well (a cluster of one receives every upload on its worker port).");
        }

        if (IntakeAddress is { } intake)
        {
            if (IntakePort is null)
            {
                throw new ArgumentException("--intake-address names where workers reach this node's intake port: give --intake-port as well.");
            }

            if (!Uri.TryCreate(intake, UriKind.Absolute, out var uri) || uri.Scheme != (coordinator.Security.Tls.Enabled ? Uri.UriSchemeHttps : Uri.UriSchemeHttp))
            {
                throw new ArgumentException(
                    $"--intake-address must be an {(coordinator.Security.Tls.Enabled ? "https" : "http")}:// address (the scheme of the coordinator's worker port), got '{intake}'.");
            }
        }

        if (KeepAliveInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("The keep-alive interval must be positive.");
        }
    }

    /// <summary>Where workers upload to this node's intake port, bound at <paramref name="port"/>.</summary>
    internal string IntakeEndpoint(CoordinatorOptions coordinator, int port) =>
        IntakeAddress ?? new UriBuilder(coordinator.Security.Tls.Enabled ? Uri.UriSchemeHttps : Uri.UriSchemeHttp, Advertised(coordinator).ToString(), port).Uri.ToString().TrimEnd('/');

    internal IPAddress Advertised(CoordinatorOptions coordinator)
    {
        if (AdvertisedAddress is { } address)
        {
            return IPAddress.Parse(address);
        }

        if (Kubernetes && KubernetesClusterHosting.PodAddress(Environment.GetEnvironmentVariable) is { } pod)
        {
            return pod;
        }

        var bind = IPAddress.Parse(coordinator.BindAddress);
        if (IsSingleNode || !bind.Equals(IPAddress.Any))
        {
            return IsSingleNode ? IPAddress.Loopback : bind;
        }

        return Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? throw new ArgumentException("This host has no IPv4 address for the other nodes to reach: give --silo-address.");
    }
}
