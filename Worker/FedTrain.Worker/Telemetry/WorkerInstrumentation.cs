using System.Diagnostics.Metrics;
using FedTrain.Telemetry;

namespace FedTrain.Worker.Telemetry;

/// <summary>
/// The worker's metrics (meter <c>FedTrain.Worker</c>). The worker's identity is a resource attribute
/// (service.instance.id), not a label, so every series stays low-cardinality.
/// </summary>
public sealed class WorkerInstrumentation : IDisposable
{
    private readonly Meter _meter = new(FedTrainInstruments.WorkerMeter);
    private readonly Counter<long> _rounds;
    private readonly Histogram<double> _trainDuration;
    private readonly Histogram<double> _stepDuration;
    private readonly Counter<long> _examples;
    private readonly Counter<long> _transfer;

    public WorkerInstrumentation()
    {
        _rounds = _meter.CreateCounter<long>(
            FedTrainInstruments.WorkerRounds.Name, FedTrainInstruments.WorkerRounds.Unit, FedTrainInstruments.WorkerRounds.Description);
        _trainDuration = Histogram(FedTrainInstruments.WorkerTrainDuration);
        _stepDuration = Histogram(FedTrainInstruments.WorkerStepDuration);
        _examples = _meter.CreateCounter<long>(
            FedTrainInstruments.WorkerExamples.Name, FedTrainInstruments.WorkerExamples.Unit, FedTrainInstruments.WorkerExamples.Description);
        _transfer = _meter.CreateCounter<long>(
            FedTrainInstruments.WorkerTransfer.Name, FedTrainInstruments.WorkerTransfer.Unit, FedTrainInstruments.WorkerTransfer.Description);
        ProcessCpuInstruments.Register(_meter, FedTrainInstruments.WorkerCpuUtilization, FedTrainInstruments.WorkerCpuTime);
    }

    public void RoundCompleted() => _rounds.Add(1, Tag(FedTrainInstruments.Labels.Outcome, "completed"));

    public void RoundAbandoned() => _rounds.Add(1, Tag(FedTrainInstruments.Labels.Outcome, "abandoned"));

    /// <summary>One client's local training: wall seconds, steps taken and its training examples.</summary>
    public void Trained(double seconds, long steps, long examples)
    {
        _trainDuration.Record(seconds);
        if (steps > 0)
        {
            _stepDuration.Record(seconds / steps);
        }

        _examples.Add(examples);
    }

    public void Downloaded(long bytes) => _transfer.Add(bytes, Tag(FedTrainInstruments.Labels.Direction, "down"));

    public void Uploaded(long bytes) => _transfer.Add(bytes, Tag(FedTrainInstruments.Labels.Direction, "up"));

    public void Dispose() => _meter.Dispose();

    private Histogram<double> Histogram(InstrumentDefinition definition) =>
        _meter.CreateHistogram(
            definition.Name, definition.Unit, definition.Description, tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = definition.Buckets });

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}
