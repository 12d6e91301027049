namespace FedTrain.Core.Data.Formats;

/// <summary>Which rows of a table (or files of an image folder) a <see cref="DataSplit"/> keeps.</summary>
internal static class SplitRows
{
    /// <summary>Row <paramref name="index"/> (0-based, counting every row) falls in the test fifth from a hash of it and the seed.</summary>
    public static bool Keep(DataSourceOptions options, long index)
    {
        if (options.Split == DataSplit.All)
        {
            return true;
        }

        bool test = new SplitMix64(options.SplitSeed ^ ((ulong)index * 0x9E3779B97F4A7C15UL)).NextDouble() < 0.2;
        return test == (options.Split == DataSplit.Test);
    }
}
