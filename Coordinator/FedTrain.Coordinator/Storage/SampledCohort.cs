namespace FedTrain.Coordinator.Storage;

/// <summary>
/// The cohort one attempt of a round drew, recorded before any assignment goes out. Under differential privacy this is
/// the round's Poisson sample: the accountant counts one sampled release per round, so a resumed round must train
/// exactly this cohort rather than draw again.
/// </summary>
/// <param name="Round">The round.</param>
/// <param name="Attempt">The attempt of the round that drew it.</param>
/// <param name="ModelVersion">The global model the cohort trains from.</param>
/// <param name="Members">The sampled clients, in client id order; empty when the sample was empty.</param>
public sealed record SampledCohort(long Round, int Attempt, long ModelVersion, IReadOnlyList<CohortMember> Members);
