namespace FedTrain.Coordinator.Storage;

/// <summary>
/// Durable record of each round attempt's sampled cohort (schema migration 5, table <c>round_cohorts</c>). A cohort is
/// open until its attempt is closed (committed, or its quorum missed); a restarted coordinator resumes the round's
/// open cohort.
/// </summary>
public interface ICohortStore
{
    /// <summary>Records a freshly drawn cohort as open.</summary>
    /// <exception cref="InvalidOperationException">That attempt of the round already has a cohort; nothing is changed.</exception>
    Task SaveCohortAsync(string runId, SampledCohort cohort, CancellationToken cancellationToken = default);

    /// <summary>The open cohort of <paramref name="round"/> with the highest attempt, or null.</summary>
    Task<SampledCohort?> LoadOpenCohortAsync(string runId, long round, CancellationToken cancellationToken = default);

    /// <summary>Closes every open cohort of <paramref name="round"/> up to <paramref name="attempt"/> with <paramref name="outcome"/>.</summary>
    Task CloseCohortsAsync(string runId, long round, int attempt, string outcome, CancellationToken cancellationToken = default);
}
