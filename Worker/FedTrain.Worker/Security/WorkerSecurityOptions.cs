using System.Net;

namespace FedTrain.Worker.Security;

/// <summary>How a worker proves who it is and checks whom it talks to.</summary>
public sealed class WorkerSecurityOptions
{
    /// <summary>File holding this worker's credential; written (mode 0600) by enrolment when missing.</summary>
    public string? CredentialFile { get; set; }

    /// <summary>File holding the one-time enrollment token an operator issued for this worker id.</summary>
    public string? EnrollmentTokenFile { get; set; }

    /// <summary>PEM CA certificate the coordinator's TLS certificate must chain to (instead of the system store).</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM client certificate presented under mTLS.</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>
    /// Allows sending the credential (or enrollment token) over plain http:// to a coordinator that is not on this
    /// host, where anyone on the network path can read and replay it. Off by default.
    /// </summary>
    public bool Insecure { get; set; }

    /// <summary>Whether the worker has a secret to present (a credential file or an enrollment token).</summary>
    public bool HasSecret => CredentialFile is not null || EnrollmentTokenFile is not null;

    /// <summary>
    /// Refuses to put the worker's secret in clear text on a network: plain http:// is fine on loopback (the demo, a
    /// sidecar), and elsewhere only with <see cref="Insecure"/>.
    /// </summary>
    /// <exception cref="ArgumentException">http:// to a non-loopback host with a secret to send and without --insecure.</exception>
    public void RequireSafeTransport(Uri coordinator)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        if (coordinator.Scheme == Uri.UriSchemeHttp && HasSecret && !Insecure && !IsLoopback(coordinator))
        {
            throw new ArgumentException(
                $"Refusing to send this worker's credential in clear text: {coordinator} is plain http:// to a host that is not "
                + "this machine, where anyone on the network path can read and replay it. Use https:// (with --ca for a private CA), "
                + "or pass --insecure to send it anyway.",
                nameof(coordinator));
        }
    }

    private static bool IsLoopback(Uri address) =>
        address.IsLoopback || (IPAddress.TryParse(address.IdnHost.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    public void Validate()
    {
        if ((ClientCertificateFile is null) != (ClientKeyFile is null))
        {
            throw new ArgumentException("Options ClientCertificateFile and ClientKeyFile must be set together.", nameof(ClientCertificateFile));
        }

        foreach (var (name, path) in new[] { (nameof(EnrollmentTokenFile), EnrollmentTokenFile), (nameof(CaFile), CaFile), (nameof(ClientCertificateFile), ClientCertificateFile), (nameof(ClientKeyFile), ClientKeyFile) })
        {
            if (path is not null && !File.Exists(path))
            {
                throw new ArgumentException($"Option {name}: file '{path}' does not exist.", name);
            }
        }
    }
}
