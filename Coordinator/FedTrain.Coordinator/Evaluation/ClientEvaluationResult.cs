namespace FedTrain.Coordinator.Evaluation;

/// <summary>How a round's global model scored on one client's held-out data (federated evaluation).</summary>
public sealed record ClientEvaluationResult(string ClientId, string WorkerId, double Accuracy, double Loss, long ExampleCount);
