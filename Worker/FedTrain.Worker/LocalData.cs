using FedTrain.Core.Data;

namespace FedTrain.Worker;

/// <summary>A worker's private data: the split it trains on and the split it evaluates on.</summary>
public sealed record LocalData(ImageDataset Train, ImageDataset Holdout)
{
    /// <summary>Loads the data set and keeps this worker's shard, split into train and holdout.</summary>
    public static LocalData Load(WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var all = FashionMnist.Load(options.DataDirectory, train: true, options.TrainLimit);
        int[] shard = options.ShardCount == 1
            ? Enumerable.Range(0, all.Count).ToArray()
            : Partitioner.Partition(all.Labels, all.Classes, options.ShardCount, options.Partition, options.PartitionSeed)[options.ShardIndex];
        var (train, holdout) = Partitioner.SplitHoldout(shard, options.HoldoutFraction, options.PartitionSeed ^ (ulong)(options.ShardIndex + 1));
        return new LocalData(all.Subset(train), all.Subset(holdout));
    }
}
