namespace FedTrain.Bench;

/// <summary>What a suite may use while it runs.</summary>
/// <param name="Quick">Smallest sizes and fewest repetitions: proves the suite works, measures nothing of note.</param>
/// <param name="Log">Progress lines for the operator; the table and JSON are written by the runner.</param>
/// <param name="ScratchDirectory">A private, empty directory the runner deletes afterwards.</param>
/// <param name="FedtrainExecutable">The <c>fedtrain</c> executable, for suites that start coordinator and worker processes.</param>
public sealed record BenchContext(bool Quick, TextWriter Log, string ScratchDirectory, string FedtrainExecutable)
{
    /// <summary>The memory suite's model size in parameters (rounded to the CNN's hidden width); null for its default.</summary>
    public long? MemoryParameters { get; init; }

    /// <summary>The memory suite's number of concurrent uploads; null for its default.</summary>
    public int? MemoryClients { get; init; }

    /// <summary>The round-overhead suite's cases as (parameters, workers); null for its full grid.</summary>
    public IReadOnlyList<(long Parameters, int Workers)>? RoundCases { get; init; }

    /// <summary>The failover suite's number of trials; null for its default (5; <see cref="Quick"/> runs 1).</summary>
    public int? FailoverTrials { get; init; }

    /// <summary>The silos suite's counts of coordinator nodes, one run each; null for its default (1, 2, 3).</summary>
    public IReadOnlyList<int>? SiloCounts { get; init; }
}
