using System.Runtime.InteropServices;
using FedTrain.Coordinator.Intake;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Spool;
using FedTrain.Coordinator.Strategies;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Compression;
using FedTrain.Core.Models;

namespace FedTrain.Coordinator.Tests.Intake;

/// <summary>
/// A node's reception of one round's uploads for the leading node: what it refuses before keeping a byte, what it
/// keeps and sums once the leader counted it, what it leaves when the leader refused or could not be reached, and that
/// its partial sum, folded at the leader, gives the model folding every update there gives.
/// </summary>
public sealed class IntakeRoundTests : IDisposable
{
    private const int Length = 3000;
    private readonly string _directory = Directory.CreateTempSubdirectory("fedtrain-intake-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IntakeTicket Ticket(bool sumsPartials = true) => new(
        "run-1", 4, "opening-1", 3, Length, UpdateEncoding.Float32, 0, new ParameterManifest([new TensorInfo("w", [Length], 0)]),
        [new IntakeClient("c1", "w1", 100), new IntakeClient("c2", "w1", 100), new IntakeClient("c3", "w2", 50)], "", null, sumsPartials);

    private RoundUpdateSpool Spool() => new(Path.Combine(_directory, "spool"), journal: null, durableFiles: true);

    private static float[] Update(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() - 0.5))];
    }

    /// <summary>Receives <paramref name="values"/> as an upload would be: into a temporary spool file, flushed.</summary>
    private static PendingUpload Received(RoundUpdateSpool spool, string clientId, float[] values)
    {
        var upload = spool.Begin(4, clientId);
        RandomAccess.Write(upload.File, MemoryMarshal.AsBytes(values.AsSpan()), 0);
        spool.Flush(upload);
        return upload;
    }

    private static async Task KeepAsync(IntakeRound round, RoundUpdateSpool spool, string workerId, string clientId, float[] values, long weight)
    {
        using var upload = Received(spool, clientId, values);
        await round.KeepAsync(upload, workerId, clientId, weight, CancellationToken.None);
    }

    [Fact]
    public void Refuses_a_client_that_was_not_selected_or_is_not_the_workers_or_claims_too_many_examples()
    {
        var round = new IntakeRound(Ticket(), "node-b", new RecordingLeader(Ticket()), Spool());
        Assert.Equal(RejectionKind.NotSelected, Assert.Throws<UpdateRejectedException>(() => round.Check("w1", "c9", 10)).Kind);
        Assert.Equal(RejectionKind.NotSelected, Assert.Throws<UpdateRejectedException>(() => round.Check("w2", "c1", 10)).Kind);
        Assert.Equal(RejectionKind.BadExampleCount, Assert.Throws<UpdateRejectedException>(() => round.Check("w2", "c3", 51)).Kind);
        Assert.Equal(RejectionKind.BadExampleCount, Assert.Throws<UpdateRejectedException>(() => round.Check("w2", "c3", 0)).Kind);
        round.Check("w2", "c3", 50);
    }

    [Fact]
    public async Task Its_partial_sum_folded_at_the_leader_gives_the_model_that_folding_every_update_there_gives()
    {
        float[] model = Update(99);
        var updates = new[] { ("c1", Update(1), 100L), ("c2", Update(2), 80L), ("c3", Update(3), 50L), ("c4", Update(4), 30L), ("c5", Update(5), 70L) };
        using var strategy = StrategyFactory.Create(new StrategyOptions(), 1, Length, 0.1, _directory);

        float[] everyUpdateHere;
        using (var aggregator = strategy.Begin(4, updates.Length, updates.Length))
        {
            foreach (var (client, values, weight) in updates)
            {
                aggregator.Add(client, new ArrayUpdate(values), weight, null);
            }

            everyUpdateHere = new float[Length];
            Assert.True(aggregator.Finish(model, everyUpdateHere).Applied);
        }

        // c3, c4 and c5 arrive at another node, which sums them; the leader folds c1, c2 and that sum.
        var ticket = Ticket() with
        {
            Clients = [.. updates.Select(u => new IntakeClient(u.Item1, u.Item1 == "c3" ? "w2" : "w1", 100))],
        };
        var leader = new RecordingLeader(ticket);
        var spool = Spool();
        var node = new IntakeRound(ticket, "node-b", leader, spool);
        foreach (var (client, values, weight) in updates.Skip(2))
        {
            await KeepAsync(node, spool, client == "c3" ? "w2" : "w1", client, values, weight);
        }

        var partial = await node.SealAsync(["c3", "c4", "c5"], TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.NotNull(partial);
        Assert.Equal(["c3", "c4", "c5"], partial.Clients);
        Assert.Equal(150, partial.TotalWeight);
        Assert.Equal(["c3", "c4", "c5"], leader.Recorded.Select(r => r.ClientId).Order());
        Assert.All(leader.Recorded, r => Assert.True(File.Exists(Path.Combine(spool.Directory, r.FileName))));

        float[] spread;
        using (var aggregator = strategy.Begin(5, updates.Length, updates.Length))
        {
            foreach (var (client, values, weight) in updates.Take(2))
            {
                aggregator.Add(client, new ArrayUpdate(values), weight, null);
            }

            ((IPartialSumAggregator)aggregator).AddPartial(SpooledUpdate.Open(partial.Path, Length), partial.TotalWeight, partial.Clients.Count);
            spread = new float[Length];
            Assert.True(aggregator.Finish(model, spread).Applied);
        }

        // The same sums in another order: equal to float rounding.
        for (int i = 0; i < Length; i++)
        {
            Assert.Equal(everyUpdateHere[i], spread[i], 1e-6f);
        }
    }

    [Fact]
    public async Task An_update_the_leader_refuses_leaves_no_file_and_is_not_summed()
    {
        var leader = new RecordingLeader(Ticket()) { Failure = new UpdateRejectedException(RejectionKind.Duplicate, "already counted") };
        var spool = Spool();
        var round = new IntakeRound(Ticket(), "node-b", leader, spool);
        var refused = await Assert.ThrowsAsync<UpdateRejectedException>(() => KeepAsync(round, spool, "w1", "c1", Update(1), 100));
        Assert.Equal(RejectionKind.Duplicate, refused.Kind);
        Assert.Empty(Directory.EnumerateFiles(spool.Directory));
        Assert.Null(await round.SealAsync(["c1"], TimeSpan.FromMilliseconds(200), CancellationToken.None));
    }

    [Fact]
    public async Task When_the_leader_cannot_be_reached_the_kept_update_stays_in_the_spool_for_it()
    {
        // The leader may have counted it before the call failed: only the round's discard may remove the file.
        var leader = new RecordingLeader(Ticket()) { Failure = new LeaderUnreachableException("silo gone") };
        var spool = Spool();
        var round = new IntakeRound(Ticket(), "node-b", leader, spool);
        await Assert.ThrowsAsync<LeaderUnreachableException>(() => KeepAsync(round, spool, "w1", "c1", Update(1), 100));
        Assert.Single(Directory.EnumerateFiles(spool.Directory, "round-000004-c1-*.update"));
        Assert.Null(await round.SealAsync(["c1"], TimeSpan.FromMilliseconds(200), CancellationToken.None));
    }

    [Fact]
    public async Task Gives_no_sum_unless_it_holds_exactly_the_updates_the_leader_counted_for_it()
    {
        var spool = Spool();
        var more = new IntakeRound(Ticket(), "node-b", new RecordingLeader(Ticket()), spool);
        await KeepAsync(more, spool, "w1", "c1", Update(1), 100);
        await KeepAsync(more, spool, "w1", "c2", Update(2), 100);
        // It summed c2 too: that sum cannot be split, so the leader reads c1 from the spool.
        Assert.Null(await more.SealAsync(["c1"], TimeSpan.FromMilliseconds(200), CancellationToken.None));

        var fewer = new IntakeRound(Ticket(), "node-c", new RecordingLeader(Ticket()), spool);
        await KeepAsync(fewer, spool, "w1", "c1", Update(1), 100);
        // c3 never arrived here (waited for, then given up on).
        Assert.Null(await fewer.SealAsync(["c1", "c3"], TimeSpan.FromMilliseconds(200), CancellationToken.None));
    }

    [Fact]
    public async Task A_rule_without_partial_sums_only_keeps_the_updates()
    {
        var spool = Spool();
        var leader = new RecordingLeader(Ticket(sumsPartials: false));
        var round = new IntakeRound(Ticket(sumsPartials: false), "node-b", leader, spool);
        await KeepAsync(round, spool, "w1", "c1", Update(1), 100);
        Assert.Single(leader.Recorded);
        Assert.Null(await round.SealAsync(["c1"], TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    [Fact]
    public async Task Serves_the_rounds_model_from_its_committed_checkpoint_only_when_it_is_the_one_the_leader_trains()
    {
        float[] parameters = Update(7);
        var manifest = Ticket().Manifest;
        string checkpoint = Path.Combine(_directory, "round-0003.safetensors");
        Core.Checkpoints.SafetensorsFile.Write(checkpoint, manifest, parameters);
        string digest = Convert.ToHexStringLower(new ModelSnapshot(3, (float[])parameters.Clone()).Sha256);

        var copy = await new IntakeRound(Ticket() with { ModelSha256 = digest, ModelCheckpoint = checkpoint }, "node-b", new RecordingLeader(null), Spool()).ModelAsync();
        Assert.NotNull(copy);
        Assert.Equal(3, copy.Version);
        Assert.Equal(parameters, copy.Parameters.ToArray());

        // No file (the leader could not write the initial model), a file that is not the leader's model, or one that is
        // gone: nothing is served, and the worker downloads from the leader.
        Assert.Null(await new IntakeRound(Ticket() with { ModelSha256 = digest, ModelCheckpoint = null }, "node-b", new RecordingLeader(null), Spool()).ModelAsync());
        Assert.Null(await new IntakeRound(Ticket() with { ModelSha256 = new string('0', 64), ModelCheckpoint = checkpoint }, "node-b", new RecordingLeader(null), Spool()).ModelAsync());
        Assert.Null(await new IntakeRound(
            Ticket() with { ModelSha256 = digest, ModelCheckpoint = Path.Combine(_directory, "gone.safetensors") }, "node-b", new RecordingLeader(null), Spool()).ModelAsync());
    }
}
