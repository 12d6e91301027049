using FedTrain.Coordinator.Intake;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// The nodes that receive uploads, as the leading node knows them from their keep-alive adverts: which worker uploads
/// where, and how a node's partial sum is asked for. A node not heard from for <see cref="StaleAfter"/> is given no
/// more workers (its keep-alive stopped: it died or left), though its share of an open round is still asked for; nor
/// is a node whose partial sum could not be asked for, until it advertises again.
/// </summary>
/// <param name="self">This node: while it leads, its share of the workers upload to its worker port, not its intake port.</param>
/// <param name="staleAfter">How long a node's advert counts.</param>
/// <param name="time">The clock adverts are dated by.</param>
internal sealed class IntakeNodeDirectory(string self, TimeSpan staleAfter, TimeProvider time) : IIntakeNodes
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (IntakeAdvert Advert, DateTimeOffset Seen)> _nodes = new(StringComparer.Ordinal);
    // This round's deal: each worker's node (null: the leader), so a worker asking again keeps its node.
    private readonly Dictionary<string, string?> _dealt = new(StringComparer.Ordinal);
    private long _dealtRound = -1;

    public TimeSpan StaleAfter => staleAfter;

    /// <summary>Records a node's advert (called for each keep-alive it sends).</summary>
    public void Advertise(IntakeAdvert advert)
    {
        ArgumentNullException.ThrowIfNull(advert);
        lock (_lock)
        {
            _nodes[advert.Node] = (advert, time.GetUtcNow());
        }
    }

    /// <summary>
    /// Deals each round's workers over the leading node and the live nodes, each new worker to the one with the fewest
    /// so far (the leader last on a tie), so that every place gets an even share of the round whatever the workers'
    /// ids, and a worker that asks again in the round keeps its node. Null: the leader's own worker port.
    /// </summary>
    public string? EndpointFor(string workerId, long round)
    {
        ArgumentNullException.ThrowIfNull(workerId);
        var live = LiveEndpoints();
        if (live.Count == 0)
        {
            return null;
        }

        lock (_lock)
        {
            if (round != _dealtRound)
            {
                _dealtRound = round;
                _dealt.Clear();
            }

            if (_dealt.TryGetValue(workerId, out string? dealt) && (dealt is null || live.Contains(dealt)))
            {
                return dealt;
            }

            // The leader last on a tie: it also runs the round itself.
            string? chosen = live.Append(null).MinBy(place => _dealt.Values.Count(d => d == place));
            _dealt[workerId] = chosen;
            return chosen;
        }
    }

    public async Task<PartialSum?> SealAsync(string node, long round, string roundKey, IReadOnlyList<string> clients, CancellationToken cancellationToken)
    {
        IIntakeNodeObserver observer;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(node, out var entry))
            {
                return null;
            }

            observer = entry.Advert.Observer;
        }

        PartialSumMessage? sum;
        try
        {
            sum = await observer.SealAsync(round, roundKey, clients).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The node did not answer (it died, or hangs past the round's wait): it is dealt no more workers until its
            // next advert, which a live node sends within a keep-alive interval. Otherwise the next round, opened at
            // once, would still send workers to a node that just died, for up to the advert's lifetime; they would
            // fall back to the leader. (A wait cut short because this node is stopping forgets it too: harmless.)
            Forget(node, observer);
            throw;
        }

        return sum?.ToSum();
    }

    /// <summary>Drops <paramref name="node"/>'s advert if it is still the one whose observer failed.</summary>
    private void Forget(string node, IIntakeNodeObserver failed)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(node, out var entry) && ReferenceEquals(entry.Advert.Observer, failed))
            {
                _nodes.Remove(node);
            }
        }
    }

    private List<string> LiveEndpoints()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return _nodes.Values.Where(n => n.Advert.Node != self && now - n.Seen <= staleAfter)
                .OrderBy(n => n.Advert.Node, StringComparer.Ordinal)
                .Select(n => n.Advert.Endpoint)
                .ToList();
        }
    }
}
