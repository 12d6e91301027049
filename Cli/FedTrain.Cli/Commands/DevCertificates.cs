using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedTrain.Coordinator.Security;

namespace FedTrain.Cli.Commands;

/// <summary>
/// A development PKI in PEM files: a CA, a server certificate for localhost/127.0.0.1 (plus extra names) and
/// client certificates for mTLS, each naming its worker as the coordinator expects (SAN URI
/// <c>urn:fedtrain:worker:ID</c>, see <see cref="WorkerCertificateIdentity"/>; CN = worker id for people).
/// ECDSA P-256, made with <see cref="CertificateRequest"/>.
/// </summary>
internal static class DevCertificates
{
    private static readonly Oid ServerAuthentication = new(Core.Security.ExtendedKeyUsages.ServerAuthentication);
    private static readonly Oid ClientAuthentication = new(Core.Security.ExtendedKeyUsages.ClientAuthentication);
    private static readonly string[] LoopbackNames = ["localhost", "127.0.0.1", "::1"];

    public static IReadOnlyList<string> Generate(string directory, IEnumerable<string> serverNames, IEnumerable<string> clients, TimeSpan validity)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        var notAfter = notBefore + validity;

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=FedTrain development CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter.AddDays(1));
        written.Add(WritePem(directory, "ca", ca, caKey));

        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in LoopbackNames.Concat(serverNames).Distinct(StringComparer.Ordinal))
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        written.Add(Issue(directory, "server", "CN=localhost", [ServerAuthentication], san.Build(), ca, notBefore, notAfter));
        // The coordinator nodes' certificate for TLS between them: each node is both a server and a client there.
        written.Add(Issue(directory, "node", "CN=fedtrain-node", [ServerAuthentication, ClientAuthentication], null, ca, notBefore, notAfter));
        foreach (string client in clients)
        {
            var identity = new SubjectAlternativeNameBuilder();
            identity.AddUri(WorkerCertificateIdentity.UriFor(client));
            written.Add(Issue(directory, "client-" + client, "CN=" + client, [ClientAuthentication], identity.Build(), ca, notBefore, notAfter));
        }

        return written;
    }

    private static string Issue(
        string directory, string name, string subject, Oid[] usages, X509Extension? san, X509Certificate2 ca, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([.. usages], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        using var certificate = request.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        return WritePem(directory, name, certificate, key);
    }

    private static string WritePem(string directory, string name, X509Certificate2 certificate, ECDsa key)
    {
        string certificatePath = Path.Combine(directory, name + ".crt");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        SecretFile.Write(Path.Combine(directory, name + ".key"), key.ExportPkcs8PrivateKeyPem());
        return certificatePath;
    }
}
