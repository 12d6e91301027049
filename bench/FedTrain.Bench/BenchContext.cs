namespace FedTrain.Bench;

/// <summary>What a suite may use while it runs.</summary>
/// <param name="Quick">Smallest sizes and fewest repetitions: proves the suite works, measures nothing of note.</param>
/// <param name="Log">Progress lines for the operator; the table and JSON are written by the runner.</param>
/// <param name="ScratchDirectory">A private, empty directory the runner deletes afterwards.</param>
/// <param name="FedtrainExecutable">The <c>fedtrain</c> executable, for suites that start coordinator and worker processes.</param>
public sealed record BenchContext(bool Quick, TextWriter Log, string ScratchDirectory, string FedtrainExecutable);
