using System.Globalization;
using FedTrain.Core.Aggregation;
using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using FedTrain.Trainer;
using FedTrain.Worker.Telemetry;

namespace FedTrain.Worker;

/// <summary>How a client that cannot deliver this round says so, instead of leaving the round waiting for it.</summary>
public sealed partial class WorkerAgent
{
    /// <summary>The start of the failure a client reports when its training or figures went NaN/Inf.</summary>
    private const string Diverged = "diverged: ";

    /// <summary>Tells the coordinator that a client fails this round, and why; it then neither waits for nor reassigns it.</summary>
    private async Task ReportClientFailedAsync(RoundAssignment assignment, string clientId, string reason, CancellationToken cancellationToken) =>
        await _channel.UnaryAsync(
            CoordinatorMethods.ReportMetrics,
            new MetricsReport
            {
                WorkerId = _options.WorkerId,
                ClientId = clientId,
                RunId = assignment.RunId,
                Round = assignment.Round,
                Failure = reason,
            },
            new CallOptions(WorkerActivities.TraceHeaders(), DateTime.UtcNow.AddSeconds(30), cancellationToken)).ConfigureAwait(false);

    /// <summary>
    /// A refusal of what one client sent (its figures or its update), which sending it again cannot change. Refusals of
    /// the worker or the round (authentication, a closed round, a stale model) end the whole assignment instead.
    /// </summary>
    private static bool IsRefusalOfClient(RpcException exception) =>
        exception.StatusCode is StatusCode.InvalidArgument or StatusCode.OutOfRange;

    /// <summary>What went NaN/Inf in a client's training result, held-out score or update; null when all is finite.</summary>
    private static string? NonFiniteOutcome(TrainResult training, EvalResult? holdout, ReadOnlySpan<float> delta)
    {
        (string Name, double Value)[] figures =
        [
            ("training loss", training.MeanLoss), ("training accuracy", training.Accuracy),
            ("held-out loss", holdout?.MeanLoss ?? 0), ("held-out accuracy", holdout?.Accuracy ?? 0),
        ];
        foreach (var (name, value) in figures)
        {
            if (!double.IsFinite(value))
            {
                return string.Create(CultureInfo.InvariantCulture, $"{name} is {value} after local training");
            }
        }

        return UpdateChecks.IndexOfNonFinite(delta) is >= 0 and long at
            ? string.Create(CultureInfo.InvariantCulture, $"the trained model holds a non-finite value at parameter {at}")
            : null;
    }
}
