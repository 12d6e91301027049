namespace FedTrain.Core.Data.Formats;

/// <summary>
/// Which examples to keep when one table, image folder or array file holds both a federation's training examples and the
/// coordinator's test examples (the demo's case): each row (or image file, in name order) falls in the test part with
/// probability 1/5, from a hash of its index and the seed, so workers and coordinator agree without talking.
/// </summary>
public enum DataSplit
{
    /// <summary>Every example (a data owner's own data).</summary>
    All,

    /// <summary>The four fifths that are not the test part.</summary>
    Train,

    /// <summary>The one fifth held for the coordinator's test set.</summary>
    Test,
}
