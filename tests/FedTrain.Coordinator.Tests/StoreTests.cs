using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Tests;

public sealed class StoreTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"store-{Guid.NewGuid():N}.db");

    private static RoundResult Round(long round, double loss) => new(
        round, round, 0.5, loss, 2, [new ParticipantResult("c1", "w1", 10, 40) { TrainLoss = double.PositiveInfinity }],
        ["c2: went silent"], 1.5, 40, [0.5, double.NaN], $"round-{round}.safetensors", DateTimeOffset.UnixEpoch);

    [Fact]
    public void Rounds_round_trip_including_a_diverged_models_figures()
    {
        using (var store = new SqliteCoordinatorStore(_path))
        {
            store.CreateRun(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
            store.UpsertWorker(new WorkerInfo("w1", [new ClientInfo("c1", "w1", 10, [10])], "cpu"), DateTimeOffset.UnixEpoch);
            store.CommitRound("run-1", Round(1, 0.7));
            store.CommitRound("run-1", Round(2, double.NaN));
            store.RecordPrivacyRelease("run-1", 3, 1, 0.05, 1.1, 0.5, 0.6);
        }

        using var reopened = new SqliteCoordinatorStore(_path);
        Assert.Equal("run-1", reopened.LoadRun()!.RunId);
        var rounds = reopened.LoadRounds("run-1");
        Assert.Equal([1L, 2L], rounds.Select(r => r.Round));
        Assert.Equal(0.7, rounds[0].TestLoss);
        Assert.True(double.IsNaN(rounds[1].TestLoss));
        Assert.Equal("c1", Assert.Single(rounds[1].Participants).ClientId);
        Assert.Null(rounds[1].Participants[0].TrainLoss);
        Assert.Equal(["c2: went silent"], rounds[1].Failures);
        var release = Assert.Single(reopened.LoadPrivacyReleases("run-1"));
        Assert.Equal((3L, 1.1, 0.6), (release.Round, release.NoiseMultiplier, release.NextClipNorm));
        Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => reopened.CommitRound("run-1", Round(2, 0.1)));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }
}
