namespace FedTrain.Coordinator.Security;

/// <summary>
/// TLS on the gRPC port (HTTP/2 negotiated by ALPN), optionally requiring client certificates (mTLS), and then on
/// the HTTP port too (page, API, /metrics: the operator token must not travel in clear), with the same certificate
/// unless the HTTP port is given its own.
/// </summary>
public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain) of the server; null serves plaintext h2c.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>PEM CA certificate that client certificates must chain to; setting it turns mTLS on.</summary>
    public string? ClientCaFile { get; set; }

    /// <summary>PEM certificate of the HTTP port when it is not <see cref="CertificateFile"/>; only with TLS on.</summary>
    public string? HttpCertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="HttpCertificateFile"/>.</summary>
    public string? HttpKeyFile { get; set; }

    public bool Enabled => CertificateFile is not null;

    public bool RequireClientCertificate => ClientCaFile is not null;

    public void Validate()
    {
        if ((CertificateFile is null) != (KeyFile is null))
        {
            throw new ArgumentException("Options Security.Tls.CertificateFile and KeyFile must be set together.", nameof(CertificateFile));
        }

        if (ClientCaFile is not null && CertificateFile is null)
        {
            throw new ArgumentException("Option Security.Tls.ClientCaFile (mTLS) needs a server certificate (CertificateFile, KeyFile).", nameof(ClientCaFile));
        }

        if ((HttpCertificateFile is null) != (HttpKeyFile is null))
        {
            throw new ArgumentException("Options Security.Tls.HttpCertificateFile and HttpKeyFile must be set together.", nameof(HttpCertificateFile));
        }

        if (HttpCertificateFile is not null && CertificateFile is null)
        {
            throw new ArgumentException("Option Security.Tls.HttpCertificateFile needs TLS on (CertificateFile, KeyFile): the HTTP port serves TLS only with the gRPC port.", nameof(HttpCertificateFile));
        }

        foreach (var (name, path) in new[]
        {
            (nameof(CertificateFile), CertificateFile), (nameof(KeyFile), KeyFile), (nameof(ClientCaFile), ClientCaFile),
            (nameof(HttpCertificateFile), HttpCertificateFile), (nameof(HttpKeyFile), HttpKeyFile),
        })
        {
            if (path is not null && !File.Exists(path))
            {
                throw new ArgumentException($"Option Security.Tls.{name}: file '{path}' does not exist.", name);
            }
        }
    }
}
