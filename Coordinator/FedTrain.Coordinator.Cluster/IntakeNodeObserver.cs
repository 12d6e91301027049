using FedTrain.Coordinator.Intake;

namespace FedTrain.Coordinator.Cluster;

/// <summary>This node's answer to the leader's call for a partial sum: its reception's sum of the round.</summary>
internal sealed class IntakeNodeObserver(IntakeReception reception) : IIntakeNodeObserver
{
    public async Task<PartialSumMessage?> SealAsync(long round, string roundKey, IReadOnlyList<string> clients) =>
        await reception.SealAsync(round, roundKey, clients, CancellationToken.None).ConfigureAwait(false) is { } sum ? PartialSumMessage.From(sum) : null;
}
