namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>The round collecting updates now; the counts are null under DP, where they are withheld.</summary>
internal sealed record CurrentRoundView(long Round, int? Selected, int? Accepted, DateTimeOffset Deadline);
