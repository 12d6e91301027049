using System.Globalization;
using FedTrain.Integration.Tests.Security;

namespace FedTrain.Integration.Tests.Transport;

/// <summary>
/// Python grpcio (gRPC C-core) as a worker against a real coordinator in this process (authentication on): the
/// whole worker side of a round, and the statuses a C-core client must see for compressed, unauthenticated,
/// unknown, oversized and overdue calls. The cases are in tests/interop/worker_client.py.
/// </summary>
public sealed class PythonWorkerTests(PythonWorkerTests.IdleCoordinator fixture) : IClassFixture<PythonWorkerTests.IdleCoordinator>
{
    [Fact]
    public async Task A_grpcio_worker_registers_downloads_the_model_and_its_update_commits_the_round()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("py-round", o =>
        {
            o.Rounds = 1;
            o.MinWorkers = 1;
            o.MinFitClients = 1;
            o.FractionEvaluate = 0;
            o.RoundTimeout = TimeSpan.FromSeconds(60);
        });
        string credential = await coordinator.EnrolAsync("py-worker");

        string output = await RunCaseAsync(coordinator, "py-worker", credential, "round");

        // The upload refused at its header reached grpcio with its status and message; the real one was accepted.
        Assert.Contains("stale upload: FAILED_PRECONDITION", output, StringComparison.Ordinal);
        Assert.Contains("upload accepted", output, StringComparison.Ordinal);
        await coordinator.Host.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        var round = Assert.Single(coordinator.Host.Orchestrator.CommittedRounds);
        Assert.Equal("py-worker", Assert.Single(round.Participants).WorkerId);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("unauthenticated")]
    [InlineData("unimplemented")]
    [InlineData("too_large")]
    [InlineData("deadline")]
    public async Task A_grpcio_worker_gets_the_right_status(string testCase)
    {
        await RunCaseAsync(fixture.Coordinator, IdleCoordinator.WorkerId, fixture.Credential, testCase);
    }

    private static async Task<string> RunCaseAsync(SecureCoordinator coordinator, string workerId, string credential, string testCase)
    {
        var (exitCode, output) = await PythonPeer.RunAsync(
            "worker_client.py",
            ["--target", "127.0.0.1:" + coordinator.Host.GrpcPort.ToString(CultureInfo.InvariantCulture), "--worker", workerId, "--credential", credential, testCase],
            TimeSpan.FromSeconds(90));
        Assert.True(exitCode == 0, $"worker_client.py {testCase} exited {exitCode}: {output}");
        Assert.Contains($"{testCase}: passed", output, StringComparison.Ordinal);
        return output;
    }

    /// <summary>A coordinator that never starts a round (it waits for more workers), with one enrolled worker.</summary>
    public sealed class IdleCoordinator : IAsyncLifetime
    {
        public const string WorkerId = "py-worker";

        internal SecureCoordinator Coordinator { get; private set; } = null!;

        public string Credential { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Coordinator = await SecureCoordinator.StartAsync("py-worker");
            Credential = await Coordinator.EnrolAsync(WorkerId);
        }

        public async Task DisposeAsync() => await Coordinator.DisposeAsync();
    }
}
