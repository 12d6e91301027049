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

    private static IntakeTicket Ticket(long round, string key = "opening-1") => new(
        "run-1", round, key, round - 1, 4, UpdateEncoding.Float32, 0, new ParameterManifest([new TensorInfo("w", [4], 0)]),
        [new IntakeClient("c1", "w1", 10)], ModelSha256: "", ModelCheckpoint: null, SumsPartials: true);

    [Fact]
    public async Task Fetches_a_rounds_ticket_once_and_refuses_other_runs_versions_and_rounds_that_are_not_open()
    {
        var leader = new RecordingLeader(Ticket(2));
        var reception = new IntakeReception("node-b", leader, new RoundUpdateSpool(_directory, null, durableFiles: true));
        var round = await reception.RoundAsync("run-1", 2, 1, CancellationToken.None);
        Assert.Same(round, await reception.RoundAsync("run-1", 2, 1, CancellationToken.None));
        Assert.Equal(1, leader.TicketCalls);

        Assert.Equal(RejectionKind.WrongRun, (await Assert.ThrowsAsync<UpdateRejectedException>(() => reception.RoundAsync("run-2", 2, 1, CancellationToken.None))).Kind);
        Assert.Equal(RejectionKind.StaleModel, (await Assert.ThrowsAsync<UpdateRejectedException>(() => reception.RoundAsync("run-1", 2, 0, CancellationToken.None))).Kind);
        // A round the leader does not have open is refused on the leader's word, asked again by the next upload.
        Assert.Equal(RejectionKind.StaleModel, (await Assert.ThrowsAsync<UpdateRejectedException>(() => reception.RoundAsync("run-1", 3, 2, CancellationToken.None))).Kind);
        leader.Ticket = Ticket(3);
        Assert.Equal(3, (await reception.RoundAsync("run-1", 3, 2, CancellationToken.None)).Round);
        Assert.Equal(2, leader.TicketCalls);
    }

    [Fact]
    public async Task Has_no_sum_of_a_round_it_received_nothing_for()
    {
        var reception = new IntakeReception("node-b", new RecordingLeader(Ticket(2)), new RoundUpdateSpool(_directory, null, durableFiles: true));
        Assert.Null(await reception.SealAsync(2, "opening-1", ["c1"], CancellationToken.None));
    }

    [Fact]
    public async Task A_round_opened_again_is_checked_against_its_new_ticket_and_the_earlier_openings_sum_is_never_given()
    {
        var spool = new RoundUpdateSpool(_directory, null, durableFiles: true);
        var leader = new RecordingLeader(Ticket(2));
        var reception = new IntakeReception("node-b", leader, spool);
        var first = await reception.RoundAsync("run-1", 2, 1, CancellationToken.None);
        using (var upload = spool.Begin(2, "c1"))
        {
            RandomAccess.Write(upload.File, new byte[16], 0);
            await first.KeepAsync(upload, "w1", "c1", 10, CancellationToken.None);
        }

        // The round missed its quorum and opened again with another cohort: c2 of w2 is now selected.
        leader.Ticket = Ticket(2, "opening-2") with { Clients = [new IntakeClient("c2", "w2", 10)] };
        var second = await reception.RoundAsync("run-1", 2, 1, CancellationToken.None);
        Assert.NotSame(first, second);
        second.Check("w2", "c2", 10);
        Assert.Equal(RejectionKind.NotSelected, Assert.Throws<UpdateRejectedException>(() => second.Check("w1", "c1", 10)).Kind);
        // The first opening's sum (c1) is not the second's, however the clients compare.
        Assert.Null(await reception.SealAsync(2, "opening-1", ["c1"], CancellationToken.None));
        // An update checked against the first opening is refused by the leader once the round opened again.
        using (var late = spool.Begin(2, "c1"))
        {
            RandomAccess.Write(late.File, new byte[16], 0);
            Assert.Equal(RejectionKind.RoundClosed, (await Assert.ThrowsAsync<UpdateRejectedException>(() => first.KeepAsync(late, "w1", "c1", 10, CancellationToken.None))).Kind);
        }
    }
}
