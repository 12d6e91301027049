namespace FedTrain.Coordinator.Storage;

/// <summary>
/// The coordinator's schema as an ordered list of migrations, written once for both databases: only column
/// types differ (<see cref="SqlDialect"/>). Timestamps are ISO-8601 text and JSON documents are text in both, so
/// a row reads back the same from either.
/// </summary>
internal static class CoordinatorSchema
{
    public static int LatestVersion => 8;

    public static IReadOnlyList<SchemaMigration> Migrations(SqlDialect d) =>
    [
        new(1, "runs, rounds, participants, client evaluations, privacy releases, workers", $"""
            CREATE TABLE IF NOT EXISTS runs (
                run_id TEXT PRIMARY KEY, config_json TEXT NOT NULL, created_at TEXT NOT NULL, status TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS rounds (
                run_id TEXT NOT NULL REFERENCES runs(run_id), round {d.BigInteger} NOT NULL, model_version {d.BigInteger} NOT NULL,
                test_accuracy {d.Real}, test_loss {d.Real}, selected {d.Integer} NOT NULL,
                participants {d.Integer} NOT NULL, duration_seconds {d.Real} NOT NULL, update_bytes {d.BigInteger} NOT NULL,
                per_class_accuracy TEXT NOT NULL, failures TEXT NOT NULL, fairness TEXT, skip_reason TEXT, epsilon {d.Real},
                clip_norm {d.Real}, checkpoint_path TEXT NOT NULL, committed_at TEXT NOT NULL, PRIMARY KEY (run_id, round));
            CREATE TABLE IF NOT EXISTS privacy_releases (
                id {d.Identity}, run_id TEXT NOT NULL, round {d.BigInteger} NOT NULL, attempt {d.Integer} NOT NULL,
                sampling_rate {d.Real} NOT NULL, noise_multiplier {d.Real} NOT NULL, clip_norm {d.Real} NOT NULL, next_clip_norm {d.Real} NOT NULL);
            CREATE TABLE IF NOT EXISTS client_evaluations (
                run_id TEXT NOT NULL, round {d.BigInteger} NOT NULL, client_id TEXT NOT NULL, worker_id TEXT NOT NULL,
                accuracy {d.Real} NOT NULL, loss {d.Real} NOT NULL, example_count {d.BigInteger} NOT NULL,
                PRIMARY KEY (run_id, round, client_id), FOREIGN KEY (run_id, round) REFERENCES rounds(run_id, round));
            CREATE TABLE IF NOT EXISTS participants (
                run_id TEXT NOT NULL, round {d.BigInteger} NOT NULL, client_id TEXT NOT NULL, worker_id TEXT NOT NULL,
                example_count {d.BigInteger} NOT NULL, update_bytes {d.BigInteger} NOT NULL, train_loss {d.Real}, train_accuracy {d.Real},
                holdout_accuracy {d.Real}, holdout_loss {d.Real}, step_seconds {d.Real}, train_seconds {d.Real}, record_epsilon {d.Real},
                PRIMARY KEY (run_id, round, client_id), FOREIGN KEY (run_id, round) REFERENCES rounds(run_id, round));
            CREATE TABLE IF NOT EXISTS workers (
                worker_id TEXT PRIMARY KEY, example_count {d.BigInteger} NOT NULL, clients TEXT NOT NULL,
                device TEXT NOT NULL, last_registered_at TEXT NOT NULL);
            """),
        new(2, "pending rounds: aggregated and checkpointed, not yet committed", $"""
            CREATE TABLE pending_rounds (
                run_id TEXT NOT NULL REFERENCES runs(run_id), round {d.BigInteger} NOT NULL, attempt {d.Integer} NOT NULL,
                selected {d.Integer} NOT NULL, participants TEXT NOT NULL, failures TEXT NOT NULL, duration_seconds {d.Real} NOT NULL,
                update_bytes {d.BigInteger} NOT NULL, skip_reason TEXT, epsilon {d.Real}, clip_norm {d.Real},
                checkpoint_path TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (run_id, round));
            """),
        new(3, "enrollment tokens and worker credentials, stored as hashes", $"""
            CREATE TABLE enrollments (
                token_id TEXT PRIMARY KEY, worker_id TEXT NOT NULL, secret_hash {d.Blob} NOT NULL, created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL, used_at TEXT, revoked_at TEXT);
            CREATE TABLE credentials (
                credential_id TEXT PRIMARY KEY, worker_id TEXT NOT NULL, run_id TEXT NOT NULL, secret_hash {d.Blob} NOT NULL,
                created_at TEXT NOT NULL, revoked_at TEXT);
            CREATE INDEX credentials_by_worker ON credentials (worker_id);
            """),
        new(4, "updates kept in the open round, for resuming it after a crash", $"""
            CREATE TABLE kept_updates (
                id {d.Identity}, run_id TEXT NOT NULL, round {d.BigInteger} NOT NULL, client_id TEXT NOT NULL,
                worker_id TEXT NOT NULL, model_version {d.BigInteger} NOT NULL, example_count {d.BigInteger} NOT NULL,
                file_name TEXT NOT NULL, global_loss {d.Real}, UNIQUE (run_id, round, client_id));
            """),
        new(5, "worker quarantine and the sampled cohort of each round attempt, for resuming after a crash", $"""
            CREATE TABLE worker_quarantine (
                run_id TEXT NOT NULL REFERENCES runs(run_id), worker_id TEXT NOT NULL, consecutive_failures {d.Integer} NOT NULL,
                quarantined_from {d.BigInteger}, quarantined_through {d.BigInteger}, reason TEXT, updated_at TEXT NOT NULL,
                PRIMARY KEY (run_id, worker_id));
            CREATE TABLE round_cohorts (
                run_id TEXT NOT NULL REFERENCES runs(run_id), round {d.BigInteger} NOT NULL, attempt {d.Integer} NOT NULL,
                model_version {d.BigInteger} NOT NULL, clients TEXT NOT NULL, outcome TEXT, created_at TEXT NOT NULL,
                PRIMARY KEY (run_id, round, attempt));
            """),
        new(6, "what each privacy release was: a round's model or its fairness histogram", """
            ALTER TABLE privacy_releases ADD COLUMN mechanism TEXT NOT NULL DEFAULT 'model';
            """),
        new(7, "the clients each enrolment lets its worker register (NULL: the worker's own id)", """
            ALTER TABLE enrollments ADD COLUMN clients TEXT;
            ALTER TABLE credentials ADD COLUMN clients TEXT;
            """),
        new(8, "the run's lease: the epoch that fences a stale coordinator's writes", $"""
            CREATE TABLE coordinator_lease (
                lease_key TEXT PRIMARY KEY, epoch {d.BigInteger} NOT NULL, holder TEXT NOT NULL, acquired_at TEXT NOT NULL);
            """),
    ];
}
