using System.Data.Common;
using FedTrain.Coordinator.Evaluation;
using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Fairness;

namespace FedTrain.Coordinator.Storage;

/// <summary>Rows of the round tables (rounds, participants, evaluations, releases, pending rounds) and back.</summary>
internal static class RoundRows
{
    public static async Task InsertRoundAsync(DbConnection connection, DbTransaction transaction, string runId, RoundResult result, CancellationToken cancellationToken)
    {
        using var command = RelationalCoordinatorStore.Command(connection, transaction, """
            INSERT INTO rounds (run_id, round, model_version, test_accuracy, test_loss, selected, participants,
                duration_seconds, update_bytes, per_class_accuracy, failures, fairness, skip_reason, epsilon,
                clip_norm, checkpoint_path, committed_at)
            VALUES (@run, @round, @version, @acc, @loss, @selected, @participants, @duration, @bytes, @perClass,
                @failures, @fairness, @skip, @epsilon, @clip, @checkpoint, @committed);
            """);
        DbParameters.Add(command, "@run", runId);
        DbParameters.Add(command, "@round", result.Round);
        DbParameters.Add(command, "@version", result.ModelVersion);
        DbParameters.Add(command, "@acc", StoredValues.Finite(result.TestAccuracy));
        DbParameters.Add(command, "@loss", StoredValues.Finite(result.TestLoss));
        DbParameters.Add(command, "@selected", result.Selected);
        DbParameters.Add(command, "@participants", result.Participants.Count);
        DbParameters.Add(command, "@duration", result.DurationSeconds);
        DbParameters.Add(command, "@bytes", result.UpdateBytes);
        DbParameters.Add(command, "@perClass", StoredValues.ToJson(result.PerClassAccuracy));
        DbParameters.Add(command, "@failures", StoredValues.ToJson(result.Failures));
        DbParameters.Add(command, "@fairness", result.Fairness is null ? null : StoredValues.ToJson(result.Fairness));
        DbParameters.Add(command, "@skip", result.SkipReason);
        DbParameters.Add(command, "@epsilon", StoredValues.Nullable(result.Epsilon));
        DbParameters.Add(command, "@clip", StoredValues.Nullable(result.ClipNorm));
        DbParameters.Add(command, "@checkpoint", result.CheckpointPath);
        DbParameters.Add(command, "@committed", StoredValues.Time(result.CommittedAt));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task InsertParticipantAsync(
        DbConnection connection, DbTransaction transaction, string runId, long round, ParticipantResult participant, CancellationToken cancellationToken)
    {
        using var command = RelationalCoordinatorStore.Command(connection, transaction, """
            INSERT INTO participants (run_id, round, client_id, worker_id, example_count, update_bytes, train_loss,
                train_accuracy, holdout_accuracy, holdout_loss, step_seconds, train_seconds, record_epsilon)
            VALUES (@run, @round, @client, @worker, @examples, @bytes, @trainLoss, @trainAcc, @holdoutAcc,
                @holdoutLoss, @step, @train, @recordEpsilon);
            """);
        DbParameters.Add(command, "@run", runId);
        DbParameters.Add(command, "@round", round);
        DbParameters.Add(command, "@client", participant.ClientId);
        DbParameters.Add(command, "@worker", participant.WorkerId);
        DbParameters.Add(command, "@examples", participant.ExampleCount);
        DbParameters.Add(command, "@bytes", participant.UpdateBytes);
        DbParameters.Add(command, "@trainLoss", StoredValues.Nullable(participant.TrainLoss));
        DbParameters.Add(command, "@trainAcc", StoredValues.Nullable(participant.TrainAccuracy));
        DbParameters.Add(command, "@holdoutAcc", StoredValues.Nullable(participant.HoldoutAccuracy));
        DbParameters.Add(command, "@holdoutLoss", StoredValues.Nullable(participant.HoldoutLoss));
        DbParameters.Add(command, "@step", StoredValues.Nullable(participant.StepSeconds));
        DbParameters.Add(command, "@train", StoredValues.Nullable(participant.TrainSeconds));
        DbParameters.Add(command, "@recordEpsilon", StoredValues.Nullable(participant.RecordEpsilon));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task InsertEvaluationAsync(
        DbConnection connection, DbTransaction transaction, string runId, long round, ClientEvaluationResult evaluation, CancellationToken cancellationToken)
    {
        using var command = RelationalCoordinatorStore.Command(connection, transaction, """
            INSERT INTO client_evaluations (run_id, round, client_id, worker_id, accuracy, loss, example_count)
            VALUES (@run, @round, @client, @worker, @accuracy, @loss, @examples);
            """);
        DbParameters.Add(command, "@run", runId);
        DbParameters.Add(command, "@round", round);
        DbParameters.Add(command, "@client", evaluation.ClientId);
        DbParameters.Add(command, "@worker", evaluation.WorkerId);
        DbParameters.Add(command, "@accuracy", StoredValues.Finite(evaluation.Accuracy));
        DbParameters.Add(command, "@loss", StoredValues.Finite(evaluation.Loss));
        DbParameters.Add(command, "@examples", evaluation.ExampleCount);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<long> InsertReleaseAsync(DbConnection connection, DbTransaction? transaction, string runId, PrivacyRelease release, CancellationToken cancellationToken)
    {
        using var command = RelationalCoordinatorStore.Command(connection, transaction, """
            INSERT INTO privacy_releases (run_id, round, attempt, sampling_rate, noise_multiplier, clip_norm, next_clip_norm, mechanism)
            VALUES (@run, @round, @attempt, @q, @z, @clip, @next, @mechanism) RETURNING id;
            """);
        DbParameters.Add(command, "@mechanism", release.Mechanism);
        DbParameters.Add(command, "@run", runId);
        DbParameters.Add(command, "@round", release.Round);
        DbParameters.Add(command, "@attempt", release.Attempt);
        DbParameters.Add(command, "@q", release.SamplingRate);
        DbParameters.Add(command, "@z", release.NoiseMultiplier);
        DbParameters.Add(command, "@clip", release.ClipNorm);
        DbParameters.Add(command, "@next", release.NextClipNorm);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task CompleteReleaseAsync(DbConnection connection, DbTransaction transaction, ReleaseCompletion completion, CancellationToken cancellationToken)
    {
        using var command = RelationalCoordinatorStore.Command(connection, transaction, "UPDATE privacy_releases SET next_clip_norm = @next WHERE id = @id;");
        DbParameters.Add(command, "@id", completion.ReleaseId);
        DbParameters.Add(command, "@next", completion.NextClipNorm);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
        {
            throw new InvalidOperationException($"Privacy release {completion.ReleaseId} is not in the ledger.");
        }
    }

    public static async Task UpsertPendingAsync(
        DbConnection connection, DbTransaction transaction, string runId, PendingRound pending, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var command = RelationalCoordinatorStore.Command(connection, transaction, """
            INSERT INTO pending_rounds (run_id, round, attempt, selected, participants, failures, duration_seconds,
                update_bytes, skip_reason, epsilon, clip_norm, checkpoint_path, created_at)
            VALUES (@run, @round, @attempt, @selected, @participants, @failures, @duration, @bytes, @skip, @epsilon,
                @clip, @checkpoint, @created)
            ON CONFLICT (run_id, round) DO UPDATE SET attempt = excluded.attempt, selected = excluded.selected,
                participants = excluded.participants, failures = excluded.failures,
                duration_seconds = excluded.duration_seconds, update_bytes = excluded.update_bytes,
                skip_reason = excluded.skip_reason, epsilon = excluded.epsilon, clip_norm = excluded.clip_norm,
                checkpoint_path = excluded.checkpoint_path, created_at = excluded.created_at;
            """);
        DbParameters.Add(command, "@run", runId);
        DbParameters.Add(command, "@round", pending.Round);
        DbParameters.Add(command, "@attempt", pending.Attempt);
        DbParameters.Add(command, "@selected", pending.Selected);
        DbParameters.Add(command, "@participants", StoredValues.ToJson(pending.Participants));
        DbParameters.Add(command, "@failures", StoredValues.ToJson(pending.Failures));
        DbParameters.Add(command, "@duration", pending.DurationSeconds);
        DbParameters.Add(command, "@bytes", pending.UpdateBytes);
        DbParameters.Add(command, "@skip", pending.SkipReason);
        DbParameters.Add(command, "@epsilon", StoredValues.Nullable(pending.Epsilon));
        DbParameters.Add(command, "@clip", StoredValues.Nullable(pending.ClipNorm));
        DbParameters.Add(command, "@checkpoint", pending.CheckpointPath);
        DbParameters.Add(command, "@created", StoredValues.Time(now));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<PendingRound?> LoadPendingAsync(DbConnection connection, string runId, CancellationToken cancellationToken)
    {
        using var command = RelationalCoordinatorStore.Command(connection, null, """
            SELECT round, attempt, selected, participants, failures, duration_seconds, update_bytes, skip_reason, epsilon,
                clip_norm, checkpoint_path
            FROM pending_rounds WHERE run_id = @run ORDER BY round DESC LIMIT 1;
            """);
        DbParameters.Add(command, "@run", runId);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new PendingRound(
            StoredValues.Long(reader, 0),
            StoredValues.Int(reader, 1),
            StoredValues.Int(reader, 2),
            StoredValues.FromJson<List<ParticipantResult>>(reader.GetString(3)),
            StoredValues.FromJson<List<string>>(reader.GetString(4)),
            reader.GetDouble(5),
            StoredValues.Long(reader, 6),
            reader.GetString(10))
        {
            SkipReason = StoredValues.NullableString(reader, 7),
            Epsilon = StoredValues.NullableDouble(reader, 8),
            ClipNorm = StoredValues.NullableDouble(reader, 9),
        };
    }

    public static async Task<List<RoundResult>> LoadRoundsAsync(
        DbConnection connection,
        string runId,
        Dictionary<long, List<ParticipantResult>> participants,
        Dictionary<long, List<ClientEvaluationResult>> evaluations,
        CancellationToken cancellationToken)
    {
        using var command = RelationalCoordinatorStore.Command(connection, null, """
            SELECT round, model_version, test_accuracy, test_loss, selected, duration_seconds, update_bytes,
                per_class_accuracy, failures, checkpoint_path, committed_at, fairness, skip_reason, epsilon, clip_norm
            FROM rounds WHERE run_id = @run ORDER BY round;
            """);
        DbParameters.Add(command, "@run", runId);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rounds = new List<RoundResult>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            long round = StoredValues.Long(reader, 0);
            rounds.Add(new RoundResult(
                round,
                StoredValues.Long(reader, 1),
                StoredValues.NullableDouble(reader, 2) ?? double.NaN,
                StoredValues.NullableDouble(reader, 3) ?? double.NaN,
                StoredValues.Int(reader, 4),
                participants.TryGetValue(round, out var list) ? list : [],
                StoredValues.FromJson<List<string>>(reader.GetString(8)),
                reader.GetDouble(5),
                StoredValues.Long(reader, 6),
                StoredValues.FromJson<List<double>>(reader.GetString(7)),
                reader.GetString(9),
                StoredValues.Time(reader.GetString(10)))
            {
                ClientEvaluations = evaluations.TryGetValue(round, out var scores) ? scores : [],
                Fairness = reader.IsDBNull(11) ? null : StoredValues.FromJsonOrNull<FairnessReport>(reader.GetString(11)),
                SkipReason = StoredValues.NullableString(reader, 12),
                Epsilon = StoredValues.NullableDouble(reader, 13),
                ClipNorm = StoredValues.NullableDouble(reader, 14),
            });
        }

        return rounds;
    }

    public static Task<Dictionary<long, List<ParticipantResult>>> LoadParticipantsAsync(DbConnection connection, string runId, CancellationToken cancellationToken) =>
        LoadByRoundAsync(connection, runId, """
            SELECT round, client_id, worker_id, example_count, update_bytes, train_loss, train_accuracy,
                holdout_accuracy, holdout_loss, step_seconds, train_seconds, record_epsilon
            FROM participants WHERE run_id = @run ORDER BY round, client_id;
            """,
            reader => new ParticipantResult(reader.GetString(1), reader.GetString(2), StoredValues.Long(reader, 3), StoredValues.Long(reader, 4))
            {
                TrainLoss = StoredValues.NullableDouble(reader, 5),
                TrainAccuracy = StoredValues.NullableDouble(reader, 6),
                HoldoutAccuracy = StoredValues.NullableDouble(reader, 7),
                HoldoutLoss = StoredValues.NullableDouble(reader, 8),
                StepSeconds = StoredValues.NullableDouble(reader, 9),
                TrainSeconds = StoredValues.NullableDouble(reader, 10),
                RecordEpsilon = StoredValues.NullableDouble(reader, 11),
            },
            cancellationToken);

    public static Task<Dictionary<long, List<ClientEvaluationResult>>> LoadEvaluationsAsync(DbConnection connection, string runId, CancellationToken cancellationToken) =>
        LoadByRoundAsync(connection, runId, """
            SELECT round, client_id, worker_id, accuracy, loss, example_count
            FROM client_evaluations WHERE run_id = @run ORDER BY round, client_id;
            """,
            reader => new ClientEvaluationResult(reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetDouble(4), StoredValues.Long(reader, 5)),
            cancellationToken);

    /// <summary>The rows of <paramref name="sql"/> (round in column 0, ordered by it) grouped by round.</summary>
    private static async Task<Dictionary<long, List<T>>> LoadByRoundAsync<T>(
        DbConnection connection, string runId, string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        using var command = RelationalCoordinatorStore.Command(connection, null, sql);
        DbParameters.Add(command, "@run", runId);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<long, List<T>>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            long round = StoredValues.Long(reader, 0);
            if (!result.TryGetValue(round, out var list))
            {
                result[round] = list = [];
            }

            list.Add(read(reader));
        }

        return result;
    }
}
