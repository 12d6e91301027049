using FedTrain.Coordinator;
using FedTrain.Coordinator.Storage;
using FedTrain.Integration.Tests.Security;
using FedTrain.Integration.Tests.Support;
using FedTrain.TestSupport;
using Grpc.Core;

namespace FedTrain.Integration.Tests.Cluster;

/// <summary>
/// Two real coordinators on one PostgreSQL database and one run directory, as two nodes of a cluster are during a
/// partition or after a paused process wakes up: the one that took the run's lease last owns it. The other one's
/// next write (here, an upload's journal record) is refused, it stops without committing anything, and the run goes
/// on at the new owner from the last committed round, with every round committed once and the checkpoints chained.
/// </summary>
public sealed class LeaseTakeoverTests : IRequiresPostgres
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(2);

    [BackendFact]
    public async Task A_coordinator_that_lost_the_run_to_another_stops_and_the_run_goes_on_there()
    {
        var server = PostgresServer.Require();
        string database = server.Url(server.CreateDatabase("takeover"));
        string runDirectory = RepoPaths.NewRunDirectory("takeover");
        void Shared(CoordinatorOptions o)
        {
            o.RunDirectory = runDirectory;
            o.Database = database;
            o.MinWorkers = 1;
            o.MinFitClients = 1;
            o.Rounds = 3;
            o.FractionEvaluate = 0;
            o.RoundTimeout = TimeSpan.FromSeconds(120);
        }

        await using var first = await SecureCoordinator.StartAsync("takeover-first", Shared);
        string credential = await first.EnrolAsync("solo");
        var atFirst = new HandMadeWorker(first, "solo", credential);
        await atFirst.RegisterAsync();
        var round1 = await atFirst.AssignmentAsync();
        var zeros = new float[round1.ParameterCount];
        Assert.True((await atFirst.UploadAsync(round1, "solo", zeros)).Accepted);
        var round2 = await atFirst.AssignmentAsync();
        Assert.Equal(2, round2.Round);

        await using var second = await SecureCoordinator.StartAsync("takeover-second", Shared);

        // The stale coordinator's next write is refused: the worker hears UNAVAILABLE (and retries elsewhere), and
        // the stale round loop stops with the reason instead of committing round 2.
        var refused = await Assert.ThrowsAsync<RpcException>(() => atFirst.UploadAsync(round2, "solo", zeros));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("no longer holds the run", refused.Status.Detail, StringComparison.Ordinal);
        var stopped = await Assert.ThrowsAsync<RunFencedException>(() => first.Host.Completion.WaitAsync(Generous));
        Assert.Equal((1L, 2L), (stopped.HeldEpoch, stopped.CurrentEpoch));
        Assert.Equal([1L], first.Host.Orchestrator.CommittedRounds.Select(r => r.Round));
        Assert.Contains(first.Logs.Lines, l => l.Contains("Another coordinator took over the run (lease epoch 2 after this one's 1)", StringComparison.Ordinal));

        // The run goes on at the new owner, from the round the first one committed, with the same credential.
        var atSecond = new HandMadeWorker(second, "solo", credential);
        await atSecond.RegisterAsync();
        for (long round = 2; round <= 3; round++)
        {
            var assignment = await atSecond.AssignmentAsync();
            Assert.Equal(round, assignment.Round);
            Assert.True((await atSecond.UploadAsync(assignment, "solo", zeros)).Accepted);
        }

        await second.Host.Completion.WaitAsync(Generous);
        using var store = CoordinatorStoreFactory.Open(database, runDirectory);
        var rounds = await store.LoadRoundsAsync(second.Host.Orchestrator.RunId);
        Assert.Equal([1L, 2L, 3L], rounds.Select(r => r.Round));
        Assert.Equal("finished", (await store.LoadRunAsync())!.Status);
        string? parent = null;
        foreach (var round in rounds)
        {
            var checkpoint = CheckpointFile.Read(round.CheckpointPath);
            Assert.Equal(checkpoint.Metadata["sha256"], checkpoint.DataSha256);
            if (parent is not null)
            {
                Assert.Equal(parent, checkpoint.Metadata["parent_sha256"]);
            }

            parent = checkpoint.Metadata["sha256"];
        }
    }
}
