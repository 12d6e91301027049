namespace FedTrain.Core.Data;

/// <summary>
/// Examples read on demand instead of held in memory (an image folder larger than the worker's memory): the trainer
/// asks for each batch.
/// </summary>
public interface IExampleSource
{
    /// <summary>
    /// Writes the examples at <paramref name="indices"/> (indices into the source), one after another, into
    /// <paramref name="destination"/>, which holds exactly that many examples.
    /// </summary>
    void Fill(ReadOnlySpan<long> indices, Span<float> destination);
}
