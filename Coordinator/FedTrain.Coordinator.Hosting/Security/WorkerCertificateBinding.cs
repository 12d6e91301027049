using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Under mTLS, ties the client certificate to the worker: a call is accepted only when the certificate
/// (<see cref="WorkerCertificateIdentity"/>) names the same worker as the credential or enrollment token it
/// carries. Without this, any certificate under the client CA could carry any worker's credential.
/// </summary>
public sealed partial class WorkerCertificateBinding
{
    private readonly ILogger _logger;

    public WorkerCertificateBinding(ILogger<WorkerCertificateBinding> logger) => _logger = logger;

    /// <summary>Throws PERMISSION_DENIED unless <paramref name="certificate"/> names <paramref name="workerId"/>.</summary>
    public void Require(string workerId, X509Certificate2? certificate, string peer)
    {
        ArgumentNullException.ThrowIfNull(workerId);
        if (certificate is null)
        {
            // Kestrel requires a certificate under mTLS, so this is a misconfiguration: fail closed.
            LogMismatch(peer, workerId, "no client certificate");
            throw WorkerAuthenticator.PermissionDenied();
        }

        string? named = WorkerCertificateIdentity.WorkerIdOf(certificate);
        if (named is null)
        {
            LogMismatch(peer, workerId, $"client certificate {certificate.Thumbprint} names no worker: it needs exactly one SAN URI {WorkerCertificateIdentity.UriPrefix}WORKER_ID");
            throw WorkerAuthenticator.PermissionDenied();
        }

        if (!string.Equals(named, workerId, StringComparison.Ordinal))
        {
            LogMismatch(peer, workerId, $"client certificate {certificate.Thumbprint} is worker {named}'s, not this worker's");
            throw WorkerAuthenticator.PermissionDenied();
        }
    }

    [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Refused a call from {Peer} (worker {WorkerId}): {Reason}")]
    private partial void LogMismatch(string peer, string workerId, string reason);
}
