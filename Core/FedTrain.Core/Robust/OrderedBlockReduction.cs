using System.Buffers;

namespace FedTrain.Core.Robust;

/// <summary>
/// Adds per-block partial sums (from ranges finished in any order, on any thread) into float64 totals in global
/// block order, so the totals are the same bit for bit whatever the range length and the scheduling.
/// A range that finishes early waits in a small backlog until the ranges before it are in.
/// </summary>
internal sealed class OrderedBlockReduction
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, (double[] Partials, int Blocks)> _backlog = [];
    private readonly double[] _totals;
    private int _next;

    /// <param name="items">Sums kept per block (e.g. one per update, or one per pair of updates).</param>
    public OrderedBlockReduction(int items)
    {
        _totals = new double[items];
    }

    public int Items => _totals.Length;

    /// <summary>Totals; complete once every range has been committed.</summary>
    public ReadOnlySpan<double> Totals => _totals;

    /// <summary>A buffer for <paramref name="blocks"/> × <see cref="Items"/> partials, to be passed to <see cref="Commit"/>.</summary>
    public double[] RentPartials(int blocks) => ArrayPool<double>.Shared.Rent(Math.Max(1, blocks * _totals.Length));

    /// <summary>Hands over range <paramref name="rangeIndex"/>'s partials: block b, item i at [b × Items + i].</summary>
    public void Commit(int rangeIndex, double[] partials, int blocks)
    {
        lock (_gate)
        {
            _backlog.Add(rangeIndex, (partials, blocks));
            while (_backlog.Remove(_next, out var ready))
            {
                int items = _totals.Length;
                for (int b = 0; b < ready.Blocks; b++)
                {
                    for (int i = 0; i < items; i++)
                    {
                        _totals[i] += ready.Partials[(b * items) + i];
                    }
                }

                ArrayPool<double>.Shared.Return(ready.Partials);
                _next++;
            }
        }
    }
}
