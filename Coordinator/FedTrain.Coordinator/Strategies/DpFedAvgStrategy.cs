using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Aggregation;
using FedTrain.Core.Strategies;
using FedTrain.Privacy;

namespace FedTrain.Coordinator.Strategies;

/// <summary>
/// User-level DP-FedAvg (McMahan et al. 2018): each client's update is clipped to C, the clipped updates are summed,
/// Gaussian noise of std z·C is added to the sum, and the sum is divided by the expected cohort m = q·M, not the
/// realised count. Unweighted: a client's example count would otherwise change the sensitivity. With adaptive
/// clipping C follows a target quantile of the update norms (Andrew et al. 2021) and stays accounted for.
/// </summary>
/// <remarks>
/// It stands in for the aggregate of a strategy of the mean family (<see cref="StrategyFactory.MeanFamily"/>), whose
/// server step it keeps: the noised mean is added to the model, or given to the strategy's server optimizer as its
/// pseudo-gradient (DP-FedAdam and the like, as in Andrew et al.'s experiments). The optimizer sees only the release,
/// so it is post-processing and spends nothing; FedProx's μ only changes how the workers train.
/// </remarks>
internal sealed class DpFedAvgStrategy : IAggregationStrategy, IServerOptimizerOwner
{
    private readonly PrivacyOptions _privacy;
    private readonly int _length;
    private readonly float[] _mean;
    private readonly IServerOptimizer? _optimizer;
    private readonly string? _over;
    private DpFedAvgAggregator? _aggregator;

    /// <param name="optimizer">The server optimizer the noised mean steps; null to add it to the model.</param>
    /// <param name="proximalMu">FedProx's μ for the workers; 0 otherwise.</param>
    /// <param name="over">The strategy DP stands in for, as configured; null for plain FedAvg.</param>
    public DpFedAvgStrategy(
        PrivacyOptions privacy, int length, double? resumeClipNorm, IServerOptimizer? optimizer = null, double proximalMu = 0, string? over = null)
    {
        _privacy = privacy;
        _length = length;
        _mean = new float[length];
        ResumeClipNorm = resumeClipNorm;
        _optimizer = optimizer;
        ProximalMu = proximalMu;
        _over = over;
    }

    public string Description => _over is null ? _privacy.Describe() : $"{_privacy.Describe()} over {_over}";

    public double ProximalMu { get; }

    public bool NeedsGlobalLoss => false;

    public IServerOptimizer? ServerOptimizer => _optimizer;

    /// <summary>The adaptive clip norm a resumed run continues from; null for a fresh run.</summary>
    public double? ResumeClipNorm { get; }

    public IRoundAggregator Begin(long round, int selectedClients, int population)
    {
        // The denominator is m = q·M with the configured, public M: neither who registered nor who was sampled may
        // change the mechanism.
        _aggregator ??= Create(_privacy.SamplingRate * _privacy.Population!.Value);
        _aggregator.Reset();
        return new Aggregator(_aggregator, _mean, _optimizer);
    }

    public void Dispose()
    {
    }

    private DpFedAvgAggregator Create(double expectedCohort)
    {
        if (_privacy.AdaptiveClipping)
        {
            var clipping = new AdaptiveClipping(
                expectedCohort, ResumeClipNorm ?? _privacy.InitialClipNorm, _privacy.TargetUnclippedQuantile, _privacy.ClipLearningRate);
            return new DpFedAvgAggregator(_length, clipping, _privacy.NoiseMultiplier);
        }

        return new DpFedAvgAggregator(_length, _privacy.ClipNorm, _privacy.NoiseMultiplier, expectedCohort);
    }

    private sealed class Aggregator(DpFedAvgAggregator dp, float[] mean, IServerOptimizer? optimizer) : IPrivateRoundAggregator, IClippedPartialSumAggregator
    {
        /// <summary>Parameters read per range of a partial sum's file: 512 KiB of float64 at a time.</summary>
        private const int PartialRange = 1 << 16;

        public PlannedRelease PlannedRelease => new(dp.NoiseMultiplier, dp.ClipNorm);

        public double ClipNorm => dp.ClipNorm;

        public void AddClippedPartial(string path, int count, int unclipped)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            if (file.Length != (long)dp.Dimension * sizeof(double))
            {
                throw new InvalidDataException($"A clipped partial sum of {file.Length} bytes is not one of {dp.Dimension} float64 parameters.");
            }

            var buffer = new double[Math.Min(PartialRange, dp.Dimension)];
            for (long offset = 0; offset < dp.Dimension; offset += buffer.Length)
            {
                var range = buffer.AsSpan(0, (int)Math.Min(buffer.Length, dp.Dimension - offset));
                file.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(range));
                dp.AddPartialRange(offset, range);
            }

            dp.CountPartial(count, unclipped);
        }

        public void Add(string clientId, IUpdateSource delta, long exampleCount, WorkerMetrics? metrics)
        {
            // Clipping needs the whole update; the mean buffer is free until Finish, so it holds it meanwhile.
            using (delta as IDisposable)
            {
                delta.ReadRange(0, mean);
            }

            try
            {
                dp.Add(mean);
            }
            catch (NonFiniteUpdateException ex)
            {
                // Refused like any other bad update, before it touched the sum.
                throw new UpdateRejectedException(RejectionKind.NonFinite, ex.Message);
            }
        }

        public AggregationOutcome Finish(ReadOnlySpan<float> model, Span<float> destination)
        {
            // Released even with no update: the noise alone is the round's output, and it is accounted for.
            var release = dp.Finish(mean);
            model.CopyTo(destination);
            if (optimizer is null)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(destination, mean, destination);
            }
            else
            {
                optimizer.Apply(destination, mean);
            }

            return new AggregationOutcome(true, null, release);
        }

        public void Dispose()
        {
        }
    }
}
