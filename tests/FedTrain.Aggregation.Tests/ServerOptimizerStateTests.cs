using FedTrain.Core.Checkpoints;
using FedTrain.Core.Strategies;

namespace FedTrain.Aggregation.Tests;

/// <summary>
/// A server optimizer's state saved beside a checkpoint and put back: the restored optimizer takes the next step
/// exactly as the one that was never interrupted, and a file of another optimizer or size is refused by name.
/// </summary>
public sealed class ServerOptimizerStateTests : IDisposable
{
    private const int Length = 1000;
    private readonly string _directory = Directory.CreateTempSubdirectory("optimizer-state-").FullName;

    public static TheoryData<string> Stateful => ["fedavgm", "fedadam", "fedyogi", "fedadagrad"];

    [Theory]
    [MemberData(nameof(Stateful))]
    public void A_restored_optimizer_steps_on_exactly_as_the_uninterrupted_one(string name)
    {
        var running = Create(name);
        float[] model = Vector(1, 1f);
        for (int round = 1; round <= 3; round++)
        {
            running.Apply(model, Vector(round + 10, 0.1f));
        }

        string path = Path.Combine(_directory, name + ".safetensors");
        ServerOptimizerState.Write(path, running, new Dictionary<string, string> { ["round"] = "3" });
        var restarted = Create(name);
        Assert.Equal(3, ServerOptimizerState.Restore(path, restarted));

        float[] uninterrupted = (float[])model.Clone();
        float[] resumed = (float[])model.Clone();
        running.Apply(uninterrupted, Vector(14, 0.1f));
        restarted.Apply(resumed, Vector(14, 0.1f));
        Assert.Equal(uninterrupted, resumed);
        Assert.Equal(running.StepCount, restarted.StepCount);
        Assert.Equal("3", SafetensorsFile.ReadMetadata(path)["round"]);
    }

    [Fact]
    public void Plain_server_sgd_has_no_state_to_save()
    {
        Assert.False(ServerOptimizerState.HasState(new ServerSgd(Length)));
        Assert.Throws<ArgumentException>(() => ServerOptimizerState.Write(Path.Combine(_directory, "sgd.safetensors"), new ServerSgd(Length), new Dictionary<string, string>()));
    }

    [Fact]
    public void State_of_another_optimizer_or_size_is_refused_by_name()
    {
        string path = Path.Combine(_directory, "adam.safetensors");
        var adam = new FedAdam(Length);
        adam.Apply(new float[Length], Vector(3, 0.1f));
        ServerOptimizerState.Write(path, adam, new Dictionary<string, string>());

        var other = Assert.Throws<InvalidDataException>(() => ServerOptimizerState.Restore(path, new FedYogi(Length)));
        Assert.Contains("server optimizer FedAdam; this run's is FedYogi", other.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => ServerOptimizerState.Restore(path, new FedAdam(Length + 1)));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IServerOptimizer Create(string name) => name switch
    {
        "fedavgm" => new FedAvgM(Length),
        "fedadam" => new FedAdam(Length),
        "fedyogi" => new FedYogi(Length),
        "fedadagrad" => new FedAdagrad(Length),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static float[] Vector(int seed, float scale)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Length).Select(_ => (float)(random.NextDouble() - 0.5) * scale)];
    }
}
