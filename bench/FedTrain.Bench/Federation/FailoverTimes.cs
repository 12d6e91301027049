namespace FedTrain.Bench.Federation;

/// <summary>
/// What one failover trial measured, each in seconds from the SIGKILL of the leading node.
/// </summary>
/// <param name="KilledInRound">The round the run was in when its leader was killed (the first committed after the kill).</param>
/// <param name="KeptUpdates">
/// Updates of that round the dead node had acknowledged, which the successor resumed the round with (its "resumes with
/// N updates kept" line); with all of the cohort's kept, it commits the round before any new upload.
/// </param>
/// <param name="ListeningSeconds">Until a surviving node said it listens for workers (it leads the run).</param>
/// <param name="UploadSeconds">Until a worker had an update accepted by that node.</param>
/// <param name="CommitSeconds">Until that node committed a round.</param>
internal sealed record FailoverTimes(long KilledInRound, int KeptUpdates, double ListeningSeconds, double UploadSeconds, double CommitSeconds);
