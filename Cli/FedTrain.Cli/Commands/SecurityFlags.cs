using System.CommandLine;
using FedTrain.Coordinator;

namespace FedTrain.Cli.Commands;

/// <summary>The coordinator's authentication and TLS flags (they override the configuration file's <c>security</c>).</summary>
internal sealed class SecurityFlags
{
    private readonly Option<bool> _insecureNoAuth = new("--insecure-no-auth") { Description = "Turn worker and operator authentication OFF (trusted, isolated networks only; logged as a warning)." };
    private readonly Option<string?> _operatorTokenFile = new("--operator-token-file") { Description = "File with the HTTP API's operator token (default RUN_DIR/operator.token, created when missing)." };
    private readonly Option<string?> _tlsCert = new("--tls-cert") { Description = "PEM server certificate: serve gRPC over TLS (h2 by ALPN)." };
    private readonly Option<string?> _tlsKey = new("--tls-key") { Description = "PEM private key of --tls-cert." };
    private readonly Option<string?> _httpTlsCert = new("--http-tls-cert") { Description = "PEM certificate of the HTTP port (page, API, /metrics) when it is not --tls-cert's; needs TLS on (--tls-cert)." };
    private readonly Option<string?> _httpTlsKey = new("--http-tls-key") { Description = "PEM private key of --http-tls-cert." };
    private readonly Option<string?> _tlsClientCa = new("--tls-client-ca") { Description = "PEM CA that client certificates must chain to: require mTLS." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _insecureNoAuth, _operatorTokenFile, _tlsCert, _tlsKey, _httpTlsCert, _httpTlsKey, _tlsClientCa })
        {
            command.Options.Add(option);
        }
    }

    public void Apply(ParseResult parse, CoordinatorOptions options)
    {
        var security = options.Security;
        if (parse.GetValue(_insecureNoAuth))
        {
            security.Auth.Enabled = false;
        }

        security.Auth.OperatorTokenFile = parse.GetValue(_operatorTokenFile) ?? security.Auth.OperatorTokenFile;
        security.Tls.CertificateFile = parse.GetValue(_tlsCert) ?? security.Tls.CertificateFile;
        security.Tls.KeyFile = parse.GetValue(_tlsKey) ?? security.Tls.KeyFile;
        security.Tls.ClientCaFile = parse.GetValue(_tlsClientCa) ?? security.Tls.ClientCaFile;
        security.Tls.HttpCertificateFile = parse.GetValue(_httpTlsCert) ?? security.Tls.HttpCertificateFile;
        security.Tls.HttpKeyFile = parse.GetValue(_httpTlsKey) ?? security.Tls.HttpKeyFile;
    }
}
