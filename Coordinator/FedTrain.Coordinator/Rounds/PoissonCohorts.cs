using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Storage;
using FedTrain.Privacy;

namespace FedTrain.Coordinator.Rounds;

/// <summary>
/// The cohorts of a DP run. Each round attempt's cohort is a Poisson sample of the eligible clients, and it is
/// recorded in the store before any assignment goes out. The accountant counts one sampled Gaussian release per
/// round. A coordinator restarted mid-round therefore resumes the recorded attempt with exactly that cohort: a
/// second sample of the same round would be a different mechanism from the one accounted for.
/// </summary>
internal sealed class PoissonCohorts(ICohortStore store, double samplingRate)
{
    /// <summary>The outcome recorded for the cohort of an attempt that was committed.</summary>
    public const string Committed = "committed";

    /// <summary>The outcome recorded for the cohort of an attempt that missed its quorum.</summary>
    public const string QuorumMissed = "quorum_missed";

    /// <summary>The outcome recorded for an open cohort found drawn for another model than the round's.</summary>
    public const string ModelChanged = "model_changed";

    /// <summary>
    /// The cohort a crashed coordinator recorded for <paramref name="round"/> and never closed, or null. A cohort drawn
    /// for another model than <paramref name="modelVersion"/> cannot be resumed (its round's model is gone): it is
    /// closed and null is returned.
    /// </summary>
    public async Task<SampledCohort?> ResumableAsync(string runId, long round, long modelVersion, CancellationToken cancellationToken)
    {
        var cohort = await store.LoadOpenCohortAsync(runId, round, cancellationToken).ConfigureAwait(false);
        if (cohort is null || cohort.ModelVersion == modelVersion)
        {
            return cohort;
        }

        await store.CloseCohortsAsync(runId, round, cohort.Attempt, ModelChanged, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Draws a fresh Poisson sample of <paramref name="eligible"/> and records it as the attempt's cohort.</summary>
    public async Task<SampledCohort> DrawAsync(
        string runId, long round, int attempt, long modelVersion, IReadOnlyList<ClientInfo> eligible, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(eligible);
        var members = PoissonSampler.Sample(eligible.Count, samplingRate)
            .Select(i => eligible[i])
            .OrderBy(c => c.ClientId, StringComparer.Ordinal)
            .Select(c => new CohortMember(c.ClientId, c.WorkerId, c.ExampleCount))
            .ToList();
        var cohort = new SampledCohort(round, attempt, modelVersion, members);
        await store.SaveCohortAsync(runId, cohort, cancellationToken).ConfigureAwait(false);
        return cohort;
    }

    /// <summary>Closes the cohorts of <paramref name="round"/> up to <paramref name="attempt"/> with <paramref name="outcome"/>.</summary>
    public Task CloseAsync(string runId, long round, int attempt, string outcome, CancellationToken cancellationToken) =>
        store.CloseCohortsAsync(runId, round, attempt, outcome, cancellationToken);

    /// <summary>
    /// The cohort's clients as the round trains them: the worker now serving each client where one is registered
    /// (it may have moved), otherwise the worker recorded with it, which the round fails if it does not come back.
    /// </summary>
    public static List<ClientInfo> Clients(SampledCohort cohort, WorkerRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(cohort);
        ArgumentNullException.ThrowIfNull(registry);
        var live = registry.LiveClients().ToDictionary(c => c.ClientId, StringComparer.Ordinal);
        return cohort.Members
            .Select(m => live.TryGetValue(m.ClientId, out var client)
                ? client
                : registry.Find(m.WorkerId)?.Clients.FirstOrDefault(c => c.ClientId == m.ClientId)
                    ?? new ClientInfo(m.ClientId, m.WorkerId, m.ExampleCount, []))
            .ToList();
    }

    /// <summary>
    /// Waits, at most <paramref name="grace"/>, for the workers of a resumed cohort to register again: they were
    /// reconnecting while this coordinator started, and a round fails the clients of any worker it does not know.
    /// </summary>
    public static async Task WaitForWorkersAsync(
        IReadOnlyList<ClientInfo> clients, WorkerRegistry registry, TimeSpan grace, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(registry);
        var workers = clients.Select(c => c.WorkerId).Distinct(StringComparer.Ordinal).ToList();
        var until = time.GetUtcNow() + grace;
        while (workers.Any(registry.IsGone) && time.GetUtcNow() < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
