using FedTrain.Core.Strategies;

namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// A strategy that steps the model with a server optimizer (FedAvgM, FedAdam, FedYogi, FedAdagrad, or plain server
/// SGD): the round loop checkpoints the optimizer's state with each round and restores it on resume.
/// </summary>
public interface IServerOptimizerOwner
{
    /// <summary>The optimizer the strategy's aggregates step the model with; null when it steps with none.</summary>
    IServerOptimizer? ServerOptimizer { get; }
}
