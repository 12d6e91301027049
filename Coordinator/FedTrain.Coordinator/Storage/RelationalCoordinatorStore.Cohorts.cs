using System.Data.Common;

namespace FedTrain.Coordinator.Storage;

/// <summary>The sampled cohorts (schema migration 5, table <c>round_cohorts</c>), the same SQL on both databases.</summary>
public abstract partial class RelationalCoordinatorStore
{
    public Task SaveCohortAsync(string runId, SampledCohort cohort, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cohort);
        return FencedAsync(async (connection, transaction) =>
        {
            using var command = Command(connection, transaction, """
                INSERT INTO round_cohorts (run_id, round, attempt, model_version, clients, outcome, created_at)
                VALUES (@run, @round, @attempt, @version, @clients, NULL, @at);
                """);
            DbParameters.Add(command, "@run", runId);
            DbParameters.Add(command, "@round", cohort.Round);
            DbParameters.Add(command, "@attempt", cohort.Attempt);
            DbParameters.Add(command, "@version", cohort.ModelVersion);
            DbParameters.Add(command, "@clients", StoredValues.ToJson(cohort.Members));
            DbParameters.Add(command, "@at", StoredValues.Time(DateTimeOffset.UtcNow));
            try
            {
                return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbException ex) when (IsUniqueViolation(ex))
            {
                throw new InvalidOperationException($"Attempt {cohort.Attempt} of round {cohort.Round} of run {runId} already has a cohort.", ex);
            }
        }, cancellationToken);
    }

    public Task<SampledCohort?> LoadOpenCohortAsync(string runId, long round, CancellationToken cancellationToken = default) => UseAsync(async connection =>
    {
        using var command = Command(connection, null, """
            SELECT round, attempt, model_version, clients FROM round_cohorts
            WHERE run_id = @run AND round = @round AND outcome IS NULL ORDER BY attempt DESC LIMIT 1;
            """);
        DbParameters.Add(command, "@run", runId);
        DbParameters.Add(command, "@round", round);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new SampledCohort(
                StoredValues.Long(reader, 0), StoredValues.Int(reader, 1), StoredValues.Long(reader, 2),
                StoredValues.FromJson<List<CohortMember>>(reader.GetString(3)))
            : null;
    }, cancellationToken);

    public Task CloseCohortsAsync(string runId, long round, int attempt, string outcome, CancellationToken cancellationToken = default) => FencedAsync(async (connection, transaction) =>
    {
        using var command = Command(connection, transaction, """
            UPDATE round_cohorts SET outcome = @outcome, clients = '[]'
            WHERE run_id = @run AND round = @round AND attempt <= @attempt AND outcome IS NULL;
            """);
        DbParameters.Add(command, "@run", runId);
        DbParameters.Add(command, "@round", round);
        DbParameters.Add(command, "@attempt", attempt);
        DbParameters.Add(command, "@outcome", outcome);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }, cancellationToken);
}
