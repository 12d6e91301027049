using System.CommandLine;
using FedTrain.Worker.Security;

namespace FedTrain.Cli.Commands;

/// <summary>The worker's credential and TLS flags.</summary>
internal sealed class WorkerSecurityFlags
{
    private readonly Option<string?> _credentialFile = new("--credential-file") { Description = "File with this worker's credential; written on enrolment when missing." };
    private readonly Option<string?> _enrollmentToken = new("--enrollment-token-file") { Description = "File with the one-time enrollment token from 'fedtrain admin enroll'." };
    private readonly Option<string?> _ca = new("--ca") { Description = "PEM CA certificate the coordinator's TLS certificate must chain to (https:// coordinators)." };
    private readonly Option<string?> _clientCert = new("--client-cert") { Description = "PEM client certificate for mTLS." };
    private readonly Option<string?> _clientKey = new("--client-key") { Description = "PEM private key of --client-cert." };
    private readonly Option<bool> _insecure = new("--insecure")
    {
        Description = "Send the credential over plain http:// to a coordinator that is not on this host (anyone on the path can read it).",
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _credentialFile, _enrollmentToken, _ca, _clientCert, _clientKey, _insecure })
        {
            command.Options.Add(option);
        }
    }

    public WorkerSecurityOptions Read(ParseResult parse) => new()
    {
        CredentialFile = parse.GetValue(_credentialFile),
        EnrollmentTokenFile = parse.GetValue(_enrollmentToken),
        CaFile = parse.GetValue(_ca),
        ClientCertificateFile = parse.GetValue(_clientCert),
        ClientKeyFile = parse.GetValue(_clientKey),
        Insecure = parse.GetValue(_insecure),
    };
}
