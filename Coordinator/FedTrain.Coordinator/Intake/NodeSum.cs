using System.Runtime.InteropServices;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Checkpoints;
using FedTrain.Privacy;

namespace FedTrain.Coordinator.Intake;

/// <summary>
/// What a node sums of the updates it receives for the leader, by the round's rule: FedAvg's example-weighted sum
/// (float32, as the leader's <see cref="WeightedSum"/>), or under DP the sum of the updates clipped to the round's clip
/// norm (float64, as the leader's DP aggregator, and unnoised: the leader draws the noise once for the round).
/// </summary>
internal abstract class NodeSum
{
    /// <summary>The sum the ticket asks for; null when the round's rule sums nothing per node.</summary>
    public static NodeSum? For(IntakeTicket ticket) => ticket switch
    {
        { SumsPartials: false } => null,
        { ClipNorm: { } clip } => new Clipped(checked((int)ticket.ParameterCount), clip),
        _ => new Weighted(ticket.ParameterCount),
    };

    /// <summary>Adds one received update (the caller disposes it).</summary>
    /// <exception cref="IOException">The update could not be read; the sum may hold part of it.</exception>
    public abstract void Add(SpooledUpdate update, long weight);

    /// <summary>Writes the sum to <paramref name="path"/> (durably, atomically) and describes it.</summary>
    public abstract PartialSum Write(string path, string node, long round, IReadOnlyList<string> clients);

    private sealed class Weighted(long length) : NodeSum
    {
        private readonly WeightedSum _sum = new(length);

        public override void Add(SpooledUpdate update, long weight) => _sum.Add(update, weight);

        public override PartialSum Write(string path, string node, long round, IReadOnlyList<string> clients)
        {
            double totalWeight = _sum.TotalWeight;
            float[] values = _sum.Detach();
            AtomicFile.Write(path, file => file.Write(MemoryMarshal.AsBytes(values.AsSpan())));
            return new PartialSum(node, round, clients, totalWeight, path);
        }
    }

    private sealed class Clipped(int length, double clipNorm) : NodeSum
    {
        private readonly ClippedSum _sum = new(length, clipNorm);

        // Clipping needs the whole update's norm first: it is read here once, then clipped into the float64 sum.
        private readonly float[] _update = new float[length];

        public override void Add(SpooledUpdate update, long weight)
        {
            update.ReadRange(0, _update);
            try
            {
                _sum.Add(_update);
            }
            catch (NonFiniteUpdateException ex)
            {
                // The leader checked it finite; a file that reads otherwise now is damaged.
                throw new InvalidDataException(ex.Message, ex);
            }
        }

        public override PartialSum Write(string path, string node, long round, IReadOnlyList<string> clients)
        {
            var sum = _sum;
            AtomicFile.Write(path, file => file.Write(MemoryMarshal.AsBytes(sum.Sum)));
            // Unweighted: each update counts one.
            return new PartialSum(node, round, clients, sum.Count, path, sum.ClipNorm, sum.UnclippedCount);
        }
    }
}
