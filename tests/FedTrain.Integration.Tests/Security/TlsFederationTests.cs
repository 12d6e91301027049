using System.Globalization;
using FedTrain.Integration.Tests.Support;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using FedTrain.Worker.Security;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// Real coordinator and worker processes over TLS and mTLS with development certificates from
/// <c>fedtrain certs dev</c>: one round on a small subset, enrolment included. Under mTLS the worker presents its
/// own certificate (which the coordinator checks names it, see <see cref="CertificateBindingTests"/>) and a client
/// without a certificate is refused; no secret appears in any process's output.
/// </summary>
public sealed class TlsFederationTests
{
    [Fact]
    public async Task A_TLS_federation_runs_and_Python_grpcio_probes_health_over_TLS()
    {
        var run = await StartAsync("tls", mutual: false);
        using var coordinator = run.Coordinator;
        Assert.Equal("SERVING", await HealthInteropTests.CheckAsync(run.Port, string.Empty, run.Ca));
        // Given as a cluster's nodes are: the first address answers nothing (a standby node, or one that died), so
        // the worker's pick-first channel goes on to the one that serves, and checks its certificate there.
        await CompleteOneRoundAsync(run, clientCertificate: false, coordinators: $"https://localhost:{FederationTests.FreePort()},https://localhost:{run.Port}");
    }

    [Fact]
    public async Task An_mTLS_federation_runs_with_the_workers_own_certificate_and_a_client_without_one_is_refused()
    {
        var run = await StartAsync("mtls", mutual: true);
        using var coordinator = run.Coordinator;

        using (var handler = WorkerTls.CreateHandler(new WorkerSecurityOptions { CaFile = run.Ca }))
        using (var channel = GrpcChannel.ForAddress(new Uri($"https://localhost:{run.Port}"), new GrpcChannelOptions { HttpHandler = handler }))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
                FedTrain.Protos.CoordinatorMethods.Heartbeat, new HeartbeatRequest { WorkerId = "worker-1" }, new CallOptions(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(20))));
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        }

        await CompleteOneRoundAsync(run, clientCertificate: true);
    }

    private static async Task<TlsRun> StartAsync(string name, bool mutual)
    {
        string dir = RepoPaths.NewRunDirectory(name);
        string certs = Path.Combine(dir, "certs");
        using (var generate = CliProcess.Start("certs", "dev", "--out", certs, "--client", "worker-1"))
        {
            Assert.True(await generate.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, generate.Output);
        }

        var enrolment = await WorkerEnrolment.PrepareAsync(dir, "worker-1");
        int port = FederationTests.FreePort();
        List<string> arguments =
        [
            "coordinator", "--grpc-port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "0", "--bind", "127.0.0.1",
            "--run-dir", dir, "--rounds", "1", "--min-workers", "1", "--min-fit-clients", "1", "--test-limit", "200", "--local-steps", "5",
            "--tls-cert", Path.Combine(certs, "server.crt"), "--tls-key", Path.Combine(certs, "server.key"),
        ];
        if (mutual)
        {
            arguments.AddRange(["--tls-client-ca", Path.Combine(certs, "ca.crt")]);
        }

        var coordinator = CliProcess.Start([.. arguments]);
        await coordinator.WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(60));
        return new TlsRun(dir, certs, port, coordinator, enrolment["worker-1"]);
    }

    private static async Task CompleteOneRoundAsync(TlsRun run, bool clientCertificate, string? coordinators = null)
    {
        List<string> arguments =
        [
            "worker", "--coordinator", coordinators ?? $"https://localhost:{run.Port}", "--worker-id", "worker-1", "--shard", "0/1",
            "--train-limit", "1000", "--threads", "1", "--ca", run.Ca, .. run.WorkerFlags,
        ];
        if (clientCertificate)
        {
            arguments.AddRange(["--client-cert", Path.Combine(run.Certs, "client-worker-1.crt"), "--client-key", Path.Combine(run.Certs, "client-worker-1.key")]);
        }

        using var worker = CliProcess.Start([.. arguments]);
        Assert.True(await run.Coordinator.WaitForExitAsync(TimeSpan.FromMinutes(3)) == 0, run.Coordinator.Output + "\n--- worker ---\n" + worker.Output);
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var rounds = RunSummary.Rounds(RunSummary.Load(run.Directory));
        Assert.Equal([1], rounds.Select(r => r.GetProperty("round").GetInt32()));
        Assert.Equal(1, rounds[0].GetProperty("participants").GetInt32());
        Assert.Contains("enrolled for run", worker.Output, StringComparison.Ordinal);

        // Tokens and credentials never reach a log: not the enrollment token, the credential, nor the operator token.
        string[] secrets =
        [
            .. Directory.GetFiles(Path.Combine(run.Directory, "secrets")).Select(f => File.ReadAllText(f).Trim()),
            File.ReadAllText(Path.Combine(run.Directory, "operator.token")).Trim(),
        ];
        Assert.Equal(3, secrets.Length);
        foreach (string secret in secrets.Select(s => s.Split('_', 3)[2]))
        {
            Assert.DoesNotContain(secret, run.Coordinator.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, worker.Output, StringComparison.Ordinal);
        }
    }

    private sealed record TlsRun(string Directory, string Certs, int Port, CliProcess Coordinator, string[] WorkerFlags)
    {
        public string Ca => Path.Combine(Certs, "ca.crt");
    }
}
