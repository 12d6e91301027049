using System.Globalization;
using FedTrain.Core.Data;
using FedTrain.Core.Data.Formats;

namespace FedTrain.Worker;

/// <summary>One data owner's private data on this worker: the split it trains on and the split it evaluates on.</summary>
public sealed record ClientData(string ClientId, ImageDataset Train, ImageDataset Holdout);

/// <summary>The clients a worker trains for, each with its own data.</summary>
public sealed record LocalData(IReadOnlyList<ClientData> Clients)
{
    /// <summary>The data as read, before it was split into clients (what <c>data inspect</c> reports); null for text.</summary>
    public LoadedData? Source { get; init; }

    /// <summary>
    /// Loads the data set and keeps this worker's clients. Without a population the worker is one client (its
    /// shard, named like the worker). With a population of M clients, the data set is split into M shards and
    /// worker I of N keeps clients I, I+N, I+2N, ... so that M clients spread evenly over the worker processes.
    /// </summary>
    /// <exception cref="DataValidationException">The data does not meet the run's data contract (the message names the
    /// file, row or class); nothing may be trained on it.</exception>
    public static LocalData Load(WorkerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Text windows carry their file's category as label, so the partitioner splits a corpus by category.
        var source = options.TextWindow is null
            ? DataSourceLoader.Load(options.DataSource with { Path = options.DataDirectory, Limit = options.TrainLimit, Train = true }, options.Contract, cancellationToken)
            : null;
        var all = source?.Examples ?? TextCorpus.Load(options.DataDirectory, options.TextWindow!.Value, train: true, options.TrainLimit);
        // Tables are standardised per client with that client's own training statistics: no row or statistic leaves it.
        bool standardize = options.Contract.Model?.IsTabular == true || source?.FeatureNames is not null;
        if (options.Population is not { } population)
        {
            int[] shard = options.ShardCount == 1
                ? Enumerable.Range(0, all.Count).ToArray()
                : Partitioner.Partition(all.Labels, all.Classes, options.ShardCount, options.Partition, options.PartitionSeed)[options.ShardIndex];
            return new LocalData([Split(all, options.WorkerId, shard, options, options.ShardIndex, standardize)]) { Source = source };
        }

        var shards = Partitioner.Partition(all.Labels, all.Classes, population, options.Partition, options.PartitionSeed, minShardSize: 2);
        var clients = new List<ClientData>();
        foreach (int client in ClientIndices(population, options.ShardIndex, options.ShardCount))
        {
            clients.Add(Split(all, ClientName(client), shards[client], options, client, standardize));
        }

        return new LocalData(clients) { Source = source };
    }

    /// <summary>
    /// The clients worker <paramref name="shardIndex"/> of <paramref name="shardCount"/> trains for in a simulated
    /// population: I, I+N, I+2N, ... (what an operator enrols such a worker for).
    /// </summary>
    public static IEnumerable<int> ClientIndices(int population, int shardIndex, int shardCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(shardIndex);
        for (int client = shardIndex; client < population; client += shardCount)
        {
            yield return client;
        }
    }

    /// <summary>The ids of the clients <see cref="ClientIndices"/> names.</summary>
    public static IReadOnlyList<string> ClientIds(int population, int shardIndex, int shardCount) =>
        ClientIndices(population, shardIndex, shardCount).Select(ClientName).ToList();

    /// <summary>The id of client <paramref name="index"/> of a simulated population.</summary>
    public static string ClientName(int index) => string.Create(CultureInfo.InvariantCulture, $"client-{index:D5}");

    public int TrainExamples => Clients.Sum(c => c.Train.Count);

    public int HoldoutExamples => Clients.Sum(c => c.Holdout.Count);

    private static ClientData Split(ImageDataset all, string clientId, int[] shard, WorkerOptions options, int index, bool standardize)
    {
        var (train, holdout) = Partitioner.SplitHoldout(shard, options.HoldoutFraction, options.PartitionSeed ^ (ulong)(index + 1));
        var data = new ClientData(clientId, all.Subset(train), all.Subset(holdout));
        if (standardize)
        {
            // Fitted on the training split only, so the held-out score is not flattered by its own statistics.
            var statistics = FeatureStandardization.Fit(data.Train);
            data = data with { Train = statistics.Standardize(data.Train), Holdout = statistics.Standardize(data.Holdout) };
        }

        return data;
    }
}
