using FedTrain.Core.Compression;
using FedTrain.Core.Models;

namespace FedTrain.Coordinator.Intake;

/// <summary>
/// What a coordinator node needs to know of the open round to receive its uploads on behalf of the node leading the
/// run: which run, round and model version an update must be trained from, its shape and encoding, and who may send
/// what. Small (no model bytes); the leader hands it out once per round and node (<see cref="IntakeDesk"/>).
/// </summary>
/// <param name="RoundKey">The round's opening (<see cref="Rounds.RoundState.Key"/>): a new attempt of the round has another.</param>
/// <param name="ModelSha256">SHA-256 (hex) of the round's model, as workers verify it.</param>
/// <param name="ModelCheckpoint">
/// The file holding the round's model in the shared run directory, from which a node serves its downloads: the
/// committed checkpoint of the round before, or the leader's copy of the initial model; null when there is none, and
/// workers then download the model from the leader.
/// </param>
/// <param name="SumsPartials">
/// Whether the node folds what it receives into a partial sum for the leader (FedAvg and the server optimizers, and
/// DP-FedAvg); otherwise it keeps the updates in the shared spool and the leader reads each one (robust rules, q-FedAvg).
/// </param>
/// <param name="ClipNorm">Under DP, the round's clip norm: the node's sum is of updates clipped to it; null otherwise.</param>
public sealed record IntakeTicket(
    string RunId,
    long Round,
    string RoundKey,
    long ModelVersion,
    long ParameterCount,
    UpdateEncoding Encoding,
    double TopKFraction,
    ParameterManifest Manifest,
    IReadOnlyList<IntakeClient> Clients,
    string ModelSha256,
    string? ModelCheckpoint,
    bool SumsPartials,
    double? ClipNorm = null)
{
    /// <summary>Bytes of one update in the round's encoding.</summary>
    public long EncodedUpdateBytes => EncodedLayout.EncodedBytesOfChoice(Encoding, ParameterCount, TopKFraction);
}
