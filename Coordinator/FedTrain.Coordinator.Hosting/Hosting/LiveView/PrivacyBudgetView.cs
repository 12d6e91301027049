namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>The ε budget of a DP run: the target, δ, and what the committed and in-flight releases spent.</summary>
internal sealed record PrivacyBudgetView(double TargetEpsilon, double Delta, double SpentEpsilon);
