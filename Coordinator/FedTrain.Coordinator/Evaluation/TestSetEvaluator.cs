using FedTrain.Core.Data;
using FedTrain.Trainer;

namespace FedTrain.Coordinator.Evaluation;

/// <summary>Scores a global model on the central test set, overall and per class.</summary>
public sealed class TestSetEvaluator(ILocalTrainer trainer, ImageDataset testSet, int batchSize = 256)
{
    public int TestExamples => testSet.Count;

    public (EvalResult Result, IReadOnlyList<double> PerClassAccuracy) Evaluate(ReadOnlySpan<float> parameters)
    {
        // Read in place: the coordinator keeps the model anyway, so the evaluator holds no copy of its own.
        var result = trainer.EvaluateParameters(parameters, testSet, batchSize);
        var perClass = result.PerClassCorrect
            .Select((correct, c) => result.PerClassTotal[c] == 0 ? 0.0 : (double)correct / result.PerClassTotal[c])
            .ToList();
        return (result, perClass);
    }
}
