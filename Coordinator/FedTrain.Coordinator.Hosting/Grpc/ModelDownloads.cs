using System.Runtime.CompilerServices;
using FedTrain.Coordinator.Rounds;
using FedTrain.Core.Models;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// The encoded download of each live model snapshot (<see cref="ModelDownload"/>), built on the first download of a
/// snapshot and reused by the rest, so a round's downloads do not each rebuild the same messages. Keyed weakly: an
/// entry goes with its snapshot, and the round logic never learns of it.
/// </summary>
internal sealed class ModelDownloads
{
    private readonly ConditionalWeakTable<ModelSnapshot, ModelDownload> _encoded = [];
    private readonly ConditionalWeakTable<ModelSnapshot, ModelDownload>.CreateValueCallback _encode;

    public ModelDownloads(ParameterManifest manifest, int chunkBytes) =>
        _encode = model => new ModelDownload(model, manifest, chunkBytes);

    public ModelDownload For(ModelSnapshot model) => _encoded.GetValue(model, _encode);
}
