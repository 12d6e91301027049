using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FedTrain.Rpc;

namespace FedTrain.Worker.Security;

/// <summary>The worker's HTTP handler: trusts the configured CA only, and presents its client certificate under mTLS.</summary>
public static class WorkerTls
{
    public static SocketsHttpHandler CreateHandler(WorkerSecurityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = GrpcChannel.CreateDefaultHandler();
        if (options.ClientCertificateFile is { } certificateFile)
        {
            var certificate = X509Certificate2.CreateFromPemFile(certificateFile, options.ClientKeyFile);
            handler.SslOptions.ClientCertificates = [certificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        if (options.CaFile is { } caFile)
        {
            var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is X509Certificate2 server && IsTrusted(server, ca, errors);
        }

        return handler;
    }

    /// <summary>The server certificate must chain to our CA; a name mismatch is never excused.</summary>
    private static bool IsTrusted(X509Certificate2 server, X509Certificate2 ca, SslPolicyErrors errors)
    {
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server);
    }
}
