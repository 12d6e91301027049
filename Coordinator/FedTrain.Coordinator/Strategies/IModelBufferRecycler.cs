namespace FedTrain.Coordinator.Strategies;

/// <summary>A strategy that reuses a retired model's buffer for its next round instead of touching fresh pages.</summary>
public interface IModelBufferRecycler
{
    /// <summary>Takes over <paramref name="retired"/>, which nobody reads any more; ignored when its size does not fit.</summary>
    void Recycle(float[] retired);
}
