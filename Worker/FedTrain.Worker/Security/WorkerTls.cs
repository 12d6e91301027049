using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedTrain.Protos.Transport;
using Microsoft.Extensions.Logging;

namespace FedTrain.Worker.Security;

/// <summary>
/// The worker's HTTP handler: trusts the configured CA only (or the system store), requires the coordinator's
/// certificate to be meant for a TLS server, and presents its client certificate under mTLS.
/// </summary>
public static partial class WorkerTls
{
    /// <summary>The extended key usage that says a certificate may authenticate a TLS server (id-kp-serverAuth).</summary>

    /// <param name="options">The worker's TLS settings.</param>
    /// <param name="logger">Receives the reason each time the coordinator's certificate is refused; null logs nothing.</param>
    public static SocketsHttpHandler CreateHandler(WorkerSecurityOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = GrpcHttpHandler.Create();
        if (options.ClientCertificateFile is { } certificateFile)
        {
            var certificate = X509Certificate2.CreateFromPemFile(certificateFile, options.ClientKeyFile);
            handler.SslOptions.ClientCertificates = [certificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        var ca = options.CaFile is { } caFile ? X509Certificate2.CreateFromPem(File.ReadAllText(caFile)) : null;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is not X509Certificate2 server)
            {
                return Refuse(logger, "(none)", "the coordinator presented no certificate");
            }

            string? problem = ca is null ? ProblemWithSystemTrust(errors) : ProblemWithCustomTrust(server, ca, errors);
            problem ??= HasServerAuthentication(server)
                ? null
                : $"it lacks the serverAuth extended key usage ({Core.Security.ExtendedKeyUsages.ServerAuthentication}), so it was not issued for a TLS server; "
                    + "reissue it with that usage (fedtrain certs dev does)";
            return problem is null || Refuse(logger, server.Subject, problem);
        };
        return handler;
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> names serverAuth among its extended key usages. A certificate without the
    /// extension is refused too: one certificate valid for every purpose (a client's, a code signer's) must not
    /// stand in for the coordinator.
    /// </summary>
    public static bool HasServerAuthentication(X509Certificate2 certificate)
    {
        return Core.Security.ExtendedKeyUsages.Names(certificate, Core.Security.ExtendedKeyUsages.ServerAuthentication);
    }

    private static string? ProblemWithSystemTrust(SslPolicyErrors errors) =>
        errors == SslPolicyErrors.None ? null : $"it does not pass the system's validation ({errors}); pass --ca for a private CA";

    /// <summary>The server certificate must chain to our CA; a name mismatch is never excused.</summary>
    private static string? ProblemWithCustomTrust(X509Certificate2 server, X509Certificate2 ca, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return "it does not name the coordinator's host";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "the coordinator presented no certificate";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(server) ? null : "it does not chain to the CA given with --ca";
    }

    private static bool Refuse(ILogger? logger, string subject, string problem)
    {
        if (logger is not null)
        {
            LogRefused(logger, subject, problem);
        }

        return false;
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Error, Message = "Refused the coordinator's TLS certificate {Subject}: {Problem}")]
    private static partial void LogRefused(ILogger logger, string subject, string problem);
}
