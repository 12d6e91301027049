namespace FedTrain.Coordinator.Storage;

/// <summary>A run as stored: its id, configuration and whether it has finished.</summary>
public sealed record RunRecord(string RunId, string ConfigJson, DateTimeOffset CreatedAt, string Status);
