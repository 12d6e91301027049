using System.Diagnostics.Metrics;
using FedTrain.Coordinator.Grpc;
using FedTrain.Telemetry;

namespace FedTrain.Coordinator.Telemetry;

/// <summary>
/// What a standby node served for the leading node, under the leader's own instrument names (updates accepted, model
/// bytes down and up), so that a dashboard's per-node panels show each node's share of the traffic. Under DP they record nothing,
/// as the leader's do not: a node's exact count of updates would disclose part of the cohort.
/// </summary>
public sealed class IntakeMetrics : IDisposable
{
    private readonly Meter _meter = new(FedTrainInstruments.CoordinatorMeter);

    public IntakeMetrics(IntakeGrpcService service, bool disclosesClients)
    {
        ArgumentNullException.ThrowIfNull(service);
        var accepted = _meter.CreateCounter<long>(
            FedTrainInstruments.UpdatesAccepted.Name, FedTrainInstruments.UpdatesAccepted.Unit, FedTrainInstruments.UpdatesAccepted.Description);
        var transfer = _meter.CreateCounter<long>(
            FedTrainInstruments.ModelTransfer.Name, FedTrainInstruments.ModelTransfer.Unit, FedTrainInstruments.ModelTransfer.Description);
        if (disclosesClients)
        {
            service.UpdateReceived += bytes =>
            {
                accepted.Add(1);
                transfer.Add(bytes, new KeyValuePair<string, object?>(FedTrainInstruments.Labels.Direction, "up"));
            };
            service.ModelSent += bytes => transfer.Add(bytes, new KeyValuePair<string, object?>(FedTrainInstruments.Labels.Direction, "down"));
        }
    }

    public void Dispose() => _meter.Dispose();
}
