namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>How the round's global model scored on one client's held-out data.</summary>
internal sealed record ClientEvaluationView(string ClientId, string WorkerId, double Accuracy, double Loss, long Examples);
