using FedTrain.Coordinator.Intake;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Spool;
using FedTrain.Core.Compression;
using FedTrain.Core.Models;

namespace FedTrain.Coordinator.Tests.Intake;

/// <summary>Which round an upload's header is checked against, on a node receiving uploads for the leader.</summary>
public sealed class IntakeReceptionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fedtrain-reception-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IntakeTicket Ticket(long round) => new(
        "run-1", round, round - 1, 4, UpdateEncoding.Float32, 0, new ParameterManifest([new TensorInfo("w", [4], 0)]),
        [new IntakeClient("c1", "w1", 10)], SumsPartials: true);

    [Fact]
    public async Task Asks_the_leader_once_per_round_and_refuses_other_runs_versions_and_rounds()
    {
        var leader = new RecordingLeader(Ticket(2));
        var reception = new IntakeReception("node-b", leader, new RoundUpdateSpool(_directory, null, durableFiles: true));
        var round = await reception.RoundAsync("run-1", 2, 1, CancellationToken.None);
        Assert.Same(round, await reception.RoundAsync("run-1", 2, 1, CancellationToken.None));
        Assert.Equal(1, leader.TicketCalls);

        Assert.Equal(RejectionKind.WrongRun, (await Assert.ThrowsAsync<UpdateRejectedException>(() => reception.RoundAsync("run-2", 2, 1, CancellationToken.None))).Kind);
        Assert.Equal(RejectionKind.StaleModel, (await Assert.ThrowsAsync<UpdateRejectedException>(() => reception.RoundAsync("run-1", 2, 0, CancellationToken.None))).Kind);
        // A round the leader does not have open is asked about again on the next upload, not remembered as closed.
        Assert.Equal(RejectionKind.StaleModel, (await Assert.ThrowsAsync<UpdateRejectedException>(() => reception.RoundAsync("run-1", 3, 2, CancellationToken.None))).Kind);
        Assert.Equal(RejectionKind.StaleModel, (await Assert.ThrowsAsync<UpdateRejectedException>(() => reception.RoundAsync("run-1", 3, 2, CancellationToken.None))).Kind);
        Assert.Equal(3, leader.TicketCalls);
    }

    [Fact]
    public async Task Has_no_sum_of_a_round_it_received_nothing_for()
    {
        var reception = new IntakeReception("node-b", new RecordingLeader(Ticket(2)), new RoundUpdateSpool(_directory, null, durableFiles: true));
        Assert.Null(await reception.SealAsync(2, ["c1"], CancellationToken.None));
    }
}
