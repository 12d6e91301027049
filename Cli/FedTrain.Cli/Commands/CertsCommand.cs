using System.CommandLine;

namespace FedTrain.Cli.Commands;

/// <summary><c>fedtrain certs dev</c>: development certificates for TLS and mTLS on the gRPC port.</summary>
internal static class CertsCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder for the PEM files.", Required = true };
        var names = new Option<string[]>("--server-name") { Description = "Extra DNS name or IP address of the server certificate (repeatable); localhost, 127.0.0.1 and ::1 are always in." };
        var clients = new Option<string[]>("--client") { Description = "Client certificate to issue, by worker id (repeatable; default: worker). It names the worker as SAN URI urn:fedtrain:worker:ID; under mTLS the coordinator accepts it only with that worker's credential." };
        var days = new Option<int?>("--days") { Description = "Validity in days (default 30)." };
        var dev = new Command("dev", "Generate a development CA, a server certificate and client certificates (PEM; keys mode 0600). Not for production.");
        foreach (var option in new Option[] { output, names, clients, days })
        {
            dev.Options.Add(option);
        }

        dev.SetAction(parse =>
        {
            int validDays = parse.GetValue(days) ?? 30;
            if (validDays <= 0)
            {
                throw new ArgumentException("--days must be positive.");
            }

            string[] clientIds = parse.GetValue(clients) is { Length: > 0 } given ? given : ["worker"];
            if (clientIds.FirstOrDefault(id => id.Length is 0 or > 128 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) is { } bad)
            {
                throw new ArgumentException($"--client must be a worker id (letters, digits, '-', '_', '.'), got '{bad}'.");
            }

            var files = DevCertificates.Generate(parse.GetValue(output)!, parse.GetValue(names) ?? [], clientIds, TimeSpan.FromDays(validDays));
            foreach (string file in files)
            {
                Console.WriteLine(file);
            }

            return 0;
        });
        var command = new Command("certs", "Certificates for TLS on the gRPC port.");
        command.Subcommands.Add(dev);
        return command;
    }
}
