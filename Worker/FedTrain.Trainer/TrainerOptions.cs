namespace FedTrain.Trainer;

/// <summary>Where and how a native trainer runs.</summary>
/// <param name="Device"><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
/// <param name="Threads">
/// Intra-op CPU threads; 0 means every CPU this process may use. libtorch keeps one process-wide setting, so each
/// trainer reapplies its own at the start of every call.
/// </param>
/// <param name="Seed">Seeds the initial parameters, so equal seeds give equal models.</param>
public sealed record TrainerOptions(string Device = "cpu", int Threads = 0, ulong Seed = 1);
