using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace FedTrain.Coordinator.Security;

/// <summary>Puts TLS (and, with a client CA, mTLS) on a Kestrel endpoint; ALPN then offers h2.</summary>
public static class KestrelTls
{

    public static void Apply(ListenOptions listen, TlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(tls);
        if (!tls.Enabled)
        {
            return;
        }

        var certificate = X509Certificate2.CreateFromPemFile(tls.CertificateFile!, tls.KeyFile);
        var clientCa = tls.ClientCaFile is { } caFile ? X509Certificate2.CreateFromPem(File.ReadAllText(caFile)) : null;
        listen.UseHttps(https =>
        {
            https.ServerCertificate = certificate;
            if (clientCa is null)
            {
                return;
            }

            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (client, _, _) => ChainsTo(client, clientCa);
        });
    }

    /// <summary>
    /// TLS on the HTTP port when TLS is configured: its own certificate if given, else the gRPC port's. No client
    /// certificate is asked for: operators authenticate with the operator token, which TLS now keeps from the wire.
    /// </summary>
    public static void ApplyToHttp(ListenOptions listen, TlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(tls);
        if (!tls.Enabled)
        {
            return;
        }

        var certificate = tls.HttpCertificateFile is { } own
            ? X509Certificate2.CreateFromPemFile(own, tls.HttpKeyFile)
            : X509Certificate2.CreateFromPemFile(tls.CertificateFile!, tls.KeyFile);
        listen.UseHttps(https => https.ServerCertificate = certificate);
    }

    /// <summary>Whether <paramref name="certificate"/> is a client certificate issued under <paramref name="ca"/> (and only it: the system store is not trusted).</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(ca);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(Core.Security.ExtendedKeyUsages.ClientAuthentication));
        return chain.Build(certificate);
    }
}
