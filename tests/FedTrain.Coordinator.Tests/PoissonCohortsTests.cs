using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Storage;

namespace FedTrain.Coordinator.Tests;

/// <summary>
/// Under DP a round's cohort is recorded before any assignment goes out, and a restarted coordinator gets exactly
/// that cohort back (no second sample), on a real SQLite store reopened as after a crash.
/// </summary>
public sealed class PoissonCohortsTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"cohorts-{Guid.NewGuid():N}.db");

    private static readonly ClientInfo[] Eligible = Enumerable.Range(0, 40)
        .Select(i => new ClientInfo($"client-{i:D5}", $"worker-{(i % 2) + 1}", 100 + i, [i]))
        .ToArray();

    [Fact]
    public async Task A_drawn_cohort_is_recorded_and_a_restart_resumes_exactly_it()
    {
        SampledCohort drawn;
        using (var store = new SqliteCoordinatorStore(_path))
        {
            await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
            drawn = await new PoissonCohorts(store, 0.5).DrawAsync("run-1", 3, 2, 2, Eligible, CancellationToken.None);
        }

        Assert.Equal(drawn.Members.OrderBy(m => m.ClientId, StringComparer.Ordinal), drawn.Members);
        Assert.All(drawn.Members, m => Assert.Contains(Eligible, c => (c.ClientId, c.WorkerId, c.ExampleCount) == (m.ClientId, m.WorkerId, m.ExampleCount)));

        using var reopened = new SqliteCoordinatorStore(_path);
        var cohorts = new PoissonCohorts(reopened, 0.5);
        var resumed = (await cohorts.ResumableAsync("run-1", 3, 2, CancellationToken.None))!;
        Assert.Equal((3L, 2, 2L), (resumed.Round, resumed.Attempt, resumed.ModelVersion));
        Assert.Equal(drawn.Members, resumed.Members);
        Assert.Null(await cohorts.ResumableAsync("run-1", 4, 3, CancellationToken.None));

        await cohorts.CloseAsync("run-1", 3, 2, PoissonCohorts.Committed, CancellationToken.None);
        Assert.Null(await cohorts.ResumableAsync("run-1", 3, 2, CancellationToken.None));
    }

    [Fact]
    public async Task A_cohort_drawn_from_another_model_is_closed_rather_than_resumed()
    {
        using var store = new SqliteCoordinatorStore(_path);
        await store.CreateRunAsync(new RunRecord("run-1", "{}", DateTimeOffset.UnixEpoch, "running"));
        var cohorts = new PoissonCohorts(store, 1.0);
        Assert.Equal(Eligible.Length, (await cohorts.DrawAsync("run-1", 2, 1, 1, Eligible, CancellationToken.None)).Members.Count);
        Assert.Null(await cohorts.ResumableAsync("run-1", 2, 5, CancellationToken.None));
        Assert.Null(await store.LoadOpenCohortAsync("run-1", 2));
    }

    [Fact]
    public void Resumed_members_are_trained_by_the_worker_now_serving_them_else_the_recorded_one()
    {
        var clock = new ManualClock();
        var registry = new WorkerRegistry(clock, TimeSpan.FromSeconds(10));
        // client-00001 moved to worker-3 since it was sampled; worker-2 has not come back yet.
        registry.Register(new WorkerInfo("worker-3", [new ClientInfo("client-00001", "worker-3", 101, [7, 1])], "cpu"));
        var cohort = new SampledCohort(1, 1, 0, [new("client-00001", "worker-2", 101), new("client-00003", "worker-2", 103)]);

        var clients = PoissonCohorts.Clients(cohort, registry);

        Assert.Equal(("client-00001", "worker-3"), (clients[0].ClientId, clients[0].WorkerId));
        Assert.Equal([7L, 1L], clients[0].LabelHistogram);
        Assert.Equal(("client-00003", "worker-2", 103L), (clients[1].ClientId, clients[1].WorkerId, clients[1].ExampleCount));
    }

    [Fact]
    public async Task Waiting_for_a_resumed_cohorts_workers_ends_when_they_are_back()
    {
        var registry = new WorkerRegistry(TimeProvider.System, TimeSpan.FromSeconds(10));
        ClientInfo[] clients = [new("c1", "w1", 1, []), new("c2", "w2", 1, [])];
        registry.Register(new WorkerInfo("w1", [clients[0]], "cpu"));
        var waiting = PoissonCohorts.WaitForWorkersAsync(clients, registry, TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        registry.Register(new WorkerInfo("w2", [clients[1]], "cpu"));
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        foreach (string file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }
}
