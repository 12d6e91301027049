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
