using FedTrain.Coordinator.Intake;
using FedTrain.Coordinator.Storage;
using FedTrain.Coordinator.Strategies;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Checkpoints;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Rounds;

/// <summary>The round loop's part in uploads that other nodes of the cluster received for it.</summary>
public sealed partial class RoundOrchestrator
{
    /// <summary>How long the round waits for a node to write its partial sum before reading that node's updates itself.</summary>
    private static readonly TimeSpan PartialSumWait = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The other nodes that receive uploads for this coordinator (a cluster's leading node); null for a coordinator of
    /// its own, where every upload arrives here.
    /// </summary>
    public IIntakeNodes? IntakeNodes { get; set; }

    /// <summary>
    /// The initial model as a file in the shared run directory, from which the other nodes serve round 1's downloads
    /// (a later round's model is in its committed checkpoint); null until written, and where the write failed: workers
    /// then download round 1's model from this node.
    /// </summary>
    internal string? InitialModelFile { get; private set; }

    /// <summary>
    /// Writes the initial model for the other nodes when this coordinator leads a cluster of several nodes (which may
    /// receive uploads) and the run starts from it; a standalone coordinator, or a cluster of one, writes nothing. The
    /// file is a cache, not the run's state: a node serves it only if its digest is the round's, so a file left by an
    /// earlier leader, or rewritten by a stale one, is never served in its place. A write cut short by a crash leaves
    /// a temporary file, which the next leader removes as it resumes.
    /// </summary>
    private void PublishInitialModel()
    {
        if (IntakeNodes is null || _model.Version != 0)
        {
            return;
        }

        string path = Path.Combine(_options.RunDirectory, "initial-model.safetensors");
        try
        {
            SafetensorsFile.Write(path, _manifest, _model.Buffer, ModelFileMetadata(0, _model));
            InitialModelFile = path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogInitialModelNotPublished(ex.Message);
        }
    }

    /// <summary>
    /// Raised for what the round read of another node's share: the bytes, and whether they were that node's partial
    /// sum (one model) or one of its updates.
    /// </summary>
    public event Action<long, bool>? RemoteShareRead;

    /// <summary>
    /// Folds the updates other nodes received for a closed round: each node's partial sum where the rule sums per node
    /// (FedAvg's weighted sum; under DP the clipped sum, noised here once with the rest) and the node gives exactly the
    /// updates counted for it, each update from the shared spool otherwise. Returns the clients whose update could not
    /// be read after all, with the reason.
    /// </summary>
    private async Task<Dictionary<string, string>> FoldRemoteUpdatesAsync(RoundState state, IRoundAggregator aggregator, CancellationToken cancellationToken)
    {
        var lost = new Dictionary<string, string>(StringComparer.Ordinal);
        var remote = state.RemoteUpdates();
        // Every node is asked at once, so that a node that hangs costs the round one wait, not one per node.
        var sums = state.SumsPartials && IntakeNodes is { } nodes
            ? remote.Select(share => CollectPartialSumAsync(nodes, share.Node, state, share.Updates, cancellationToken)).ToList()
            : null;
        for (int i = 0; i < remote.Count; i++)
        {
            var (node, updates) = remote[i];
            if (sums is not null && await sums[i].ConfigureAwait(false) is { } partial && TryFoldPartialSum(aggregator, state, node, partial))
            {
                if (_disclosesClients)
                {
                    LogPartialSumFolded(state.Round, node, updates.Count);
                }
                else
                {
                    // Under DP even that a node had a sum says a sampled client uploaded there: Debug only.
                    LogPrivatePartialSumFolded(state.Round, node);
                }

                continue;
            }

            foreach (var update in updates)
            {
                try
                {
                    var file = SpooledUpdate.Open(Path.Combine(_updateSpool.Directory, update.FileName), state.Model.ParameterCount, state.Encoding);
                    long bytes = file.EncodedBytes;
                    // The aggregator owns the file from here on, even if it refuses it.
                    aggregator.Add(update.ClientId, file, update.ExampleCount, state.MetricsOf(update.ClientId));
                    RemoteShareRead?.Invoke(bytes, false);
                }
                catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or UpdateRejectedException)
                {
                    lost[update.ClientId] = ex.Message;
                    LogRemoteUpdateLost(state.Round, node, Disclosed(update.ClientId), ex.Message);
                }
            }
        }

        return lost;
    }

    /// <summary>Adds a node's checked partial sum to the round by the aggregator's rule; false when the sum is not one it takes.</summary>
    /// <remarks>
    /// The file is opened and its size checked before anything is added, so a sum refused here leaves the round's sum
    /// untouched and the node's updates are read instead. A read that fails halfway through an addition is not caught:
    /// the round's sum then holds part of the file, and the attempt must not commit.
    /// </remarks>
    private bool TryFoldPartialSum(IRoundAggregator aggregator, RoundState state, string node, PartialSum partial)
    {
        try
        {
            if (aggregator is IPartialSumAggregator weighted && partial.ClipNorm is null)
            {
                // SpooledUpdate checks the file's size against the model: a short or long file is not this round's sum.
                var sum = SpooledUpdate.Open(partial.Path, state.Model.ParameterCount);
                weighted.AddPartial(sum, partial.TotalWeight, partial.Clients.Count);
                RemoteShareRead?.Invoke(state.Model.PayloadBytes, true);
                return true;
            }

            if (aggregator is IClippedPartialSumAggregator clipped && partial.ClipNorm == clipped.ClipNorm)
            {
                long bytes = state.Model.ParameterCount * sizeof(double);
                if (new FileInfo(partial.Path).Length != bytes)
                {
                    throw new InvalidDataException($"Its clipped sum has {new FileInfo(partial.Path).Length} bytes, not the {bytes} of the model's parameters in float64.");
                }

                clipped.AddClippedPartial(partial.Path, partial.Clients.Count, partial.UnclippedCount);
                RemoteShareRead?.Invoke(bytes, true);
                return true;
            }

            LogPartialSumUnavailable(state.Round, node, "its sum is not of this round's rule");
            return false;
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or UnauthorizedAccessException)
        {
            LogPartialSumUnavailable(state.Round, node, ex.Message);
            return false;
        }
    }

    /// <summary>The partial sum <paramref name="node"/> gives for exactly <paramref name="updates"/>, checked; null to read them one by one.</summary>
    private async Task<PartialSum?> CollectPartialSumAsync(
        IIntakeNodes nodes, string node, RoundState state, IReadOnlyList<KeptUpdate> updates, CancellationToken cancellationToken)
    {
        var clients = updates.Select(u => u.ClientId).ToList();
        PartialSum? partial;
        try
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(PartialSumWait);
            partial = await nodes.SealAsync(node, state.Round, state.Key, clients, wait.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A node that died with the round's sum, or does not answer: its updates are in the shared spool.
            LogPartialSumUnavailable(state.Round, node, ex.Message);
            return null;
        }

        if (partial is null)
        {
            LogPartialSumUnavailable(state.Round, node, "it holds no sum of exactly the updates counted for it");
            return null;
        }

        // FedAvg weighs by the counted example counts; DP-FedAvg counts each update once.
        double weight = partial.ClipNorm is null ? updates.Sum(u => (double)u.ExampleCount) : updates.Count;
        if (partial.Round != state.Round || !partial.Clients.SequenceEqual(clients, StringComparer.Ordinal) || partial.TotalWeight != weight
            || partial.UnclippedCount < 0 || partial.UnclippedCount > updates.Count)
        {
            LogPartialSumUnavailable(state.Round, node, "its sum does not hold exactly the updates counted for it");
            return null;
        }

        return partial;
    }

    [LoggerMessage(EventId = 121, Level = LogLevel.Information, Message = "Round {Round}: folded node {Node}'s partial sum of {Updates} updates")]
    private partial void LogPartialSumFolded(long round, string node, int updates);

    [LoggerMessage(EventId = 124, Level = LogLevel.Debug, Message = "Round {Round}: folded node {Node}'s clipped partial sum")]
    private partial void LogPrivatePartialSumFolded(long round, string node);

    [LoggerMessage(EventId = 125, Level = LogLevel.Warning, Message = "The initial model could not be written for the other nodes ({Reason}); workers download round 1's model from this node")]
    private partial void LogInitialModelNotPublished(string reason);

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "Round {Round}: no partial sum from node {Node} ({Reason}); reading its updates from the shared spool")]
    private partial void LogPartialSumUnavailable(long round, string node, string reason);

    [LoggerMessage(EventId = 123, Level = LogLevel.Error, Message = "Round {Round}: the update of {ClientId} kept by node {Node} cannot be read ({Reason}); it is counted as failed")]
    private partial void LogRemoteUpdateLost(long round, string node, string clientId, string reason);
}
