namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>The round collecting updates now.</summary>
internal sealed record CurrentRoundView(long Round, int Selected, int Accepted, DateTimeOffset Deadline);
