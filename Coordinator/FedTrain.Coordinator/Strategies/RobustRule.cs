using System.Globalization;
using FedTrain.Core.Robust;

namespace FedTrain.Coordinator.Strategies;

/// <summary>One robust aggregation rule with its parameters, and the cohort it needs to be meaningful.</summary>
internal abstract class RobustRule
{
    /// <summary>Null when <paramref name="updates"/> updates suffice; otherwise why the round must be skipped.</summary>
    public abstract string? MinimumUpdates(int updates);

    /// <summary>Writes the robust aggregate delta of the spooled updates.</summary>
    public abstract void Aggregate(IUpdateSet updates, Span<float> destination);

    public sealed class Median : RobustRule
    {
        public override string? MinimumUpdates(int updates) => updates >= 1 ? null : "the median needs at least one update";

        public override void Aggregate(IUpdateSet updates, Span<float> destination) => CoordinateMedian.Aggregate(updates, destination);
    }

    public sealed class Trimmed(double beta) : RobustRule
    {
        public override string? MinimumUpdates(int updates) =>
            updates - (2 * TrimmedMean.TrimCount(updates, beta)) >= 1 && updates >= 1
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"trimmed mean with beta={beta} keeps nothing of {updates} updates");

        public override void Aggregate(IUpdateSet updates, Span<float> destination) => TrimmedMean.Aggregate(updates, beta, destination);
    }

    /// <param name="byzantine">f, the number of Byzantine clients tolerated.</param>
    /// <param name="select">How many lowest-scoring updates to average: 1 for Krum, 0 for n − f (Multi-Krum's usual m).</param>
    public sealed class KrumRule(int byzantine, int select) : RobustRule
    {
        public override string? MinimumUpdates(int updates) =>
            updates > (2 * byzantine) + 2 && select <= updates
                ? null
                : string.Create(CultureInfo.InvariantCulture, $"Krum with f={byzantine} needs more than {(2 * byzantine) + 2} updates (and at least m={select}); the round has {updates}");

        public override void Aggregate(IUpdateSet updates, Span<float> destination)
        {
            int chosen = select == 0 ? updates.Count - byzantine : select;
            if (chosen == 1)
            {
                Krum.Aggregate(updates, byzantine, destination);
            }
            else
            {
                Krum.AggregateMulti(updates, byzantine, chosen, destination);
            }
        }
    }

    public sealed class Bounded(double bound) : RobustRule
    {
        public override string? MinimumUpdates(int updates) => updates >= 1 ? null : "norm bounding needs at least one update";

        public override void Aggregate(IUpdateSet updates, Span<float> destination) => NormBounding.Aggregate(updates, bound, destination);
    }
}
