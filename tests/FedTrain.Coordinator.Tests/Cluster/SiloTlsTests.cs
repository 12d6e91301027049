using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedTrain.Coordinator.Cluster;

namespace FedTrain.Coordinator.Tests.Cluster;

/// <summary>Which certificates a node accepts from a peer over the TLS between the nodes.</summary>
public sealed class SiloTlsTests
{
    private static readonly Oid Server = new(Core.Security.ExtendedKeyUsages.ServerAuthentication);
    private static readonly Oid Client = new(Core.Security.ExtendedKeyUsages.ClientAuthentication);

    [Fact]
    public void A_peer_is_a_member_only_with_a_node_certificate_of_the_clusters_own_CA()
    {
        using var ca = Authority("CN=cluster CA");
        using var otherCa = Authority("CN=another CA");
        using var node = Issue(ca, Server, Client);
        using var serverOnly = Issue(ca, Server);
        using var clientOnly = Issue(ca, Client);
        using var stranger = Issue(otherCa, Server, Client);

        Assert.True(SiloTls.IsMember(node, ca));
        // A node is both the server and the client of its connections: a certificate for one role is not enough.
        Assert.False(SiloTls.IsMember(serverOnly, ca));
        Assert.False(SiloTls.IsMember(clientOnly, ca));
        Assert.False(SiloTls.IsMember(stranger, ca));
        Assert.False(SiloTls.IsMember(ca, ca));
    }

    [Fact]
    public void TLS_between_the_nodes_needs_its_three_files_and_a_cluster()
    {
        string certificate = Path.GetTempFileName();
        try
        {
            var coordinator = new CoordinatorOptions { Database = "postgres://fedtrain@db:5432/fedtrain" };
            var partial = new ClusterSettings { Membership = coordinator.Database, TlsCertificateFile = certificate };
            Assert.Contains("--silo-tls-cert, --silo-tls-key and --silo-tls-ca together", Assert.Throws<ArgumentException>(() => partial.Validate(coordinator)).Message, StringComparison.Ordinal);

            var alone = new ClusterSettings { TlsCertificateFile = certificate, TlsKeyFile = certificate, TlsCaFile = certificate };
            Assert.Contains("give --cluster as well", Assert.Throws<ArgumentException>(() => alone.Validate(coordinator)).Message, StringComparison.Ordinal);

            var missing = new ClusterSettings { Membership = coordinator.Database, TlsCertificateFile = certificate, TlsKeyFile = certificate, TlsCaFile = certificate + ".absent" };
            Assert.Contains($"the file {certificate}.absent does not exist", Assert.Throws<ArgumentException>(() => missing.Validate(coordinator)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(certificate);
        }
    }

    private static X509Certificate2 Authority(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, params Oid[] usages)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=node", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([.. usages], false));
        return request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(30), RandomNumberGenerator.GetBytes(8));
    }
}
