using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedTrain.Core.Security;
using Orleans.Connections.Security;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// Mutual TLS between the nodes of a cluster (Orleans' Connections.Security), when a node certificate is given: each
/// node presents its certificate both when it connects and when it is connected to, and accepts a peer only if the
/// peer's certificate chains to the cluster's CA (and only to it: the system's trusted roots are not) and is valid for
/// both server and client authentication. Nodes are reached by IP address, so the certificate's names are not checked:
/// the CA is what makes a node a member.
/// </summary>
internal static class SiloTls
{

    /// <summary>Adds mutual TLS to the silo's connections when <paramref name="cluster"/> names a node certificate.</summary>
    public static ISiloBuilder UseSiloTlsWhenAsked(this ISiloBuilder silo, ClusterSettings cluster)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(cluster);
        if (cluster.TlsCertificateFile is not { } certificateFile)
        {
            return silo;
        }

        var certificate = X509Certificate2.CreateFromPemFile(certificateFile, cluster.TlsKeyFile);
        var ca = X509CertificateLoader.LoadCertificateFromFile(cluster.TlsCaFile!);
        return silo.UseTls(certificate, options =>
        {
            options.LocalCertificate = certificate;
            options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            options.RemoteCertificateValidation = (peer, _, _) => IsMember(peer, ca);
        });
    }

    /// <summary>
    /// Whether <paramref name="peer"/> is a node certificate issued under <paramref name="ca"/>: an end-entity
    /// certificate that names both usages (one without the extension would be valid for any, a CA's own among them).
    /// </summary>
    public static bool IsMember(X509Certificate2 peer, X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(ca);
        if (peer.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority)
            || !ExtendedKeyUsages.Names(peer, ExtendedKeyUsages.ServerAuthentication)
            || !ExtendedKeyUsages.Names(peer, ExtendedKeyUsages.ClientAuthentication))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ExtendedKeyUsages.ServerAuthentication));
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ExtendedKeyUsages.ClientAuthentication));
        return chain.Build(peer);
    }
}
