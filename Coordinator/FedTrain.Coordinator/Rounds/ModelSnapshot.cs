using FedTrain.Core.Models;

namespace FedTrain.Coordinator.Rounds;

/// <summary>
/// One immutable version of the global model, as workers download it. Immutable so that a slow download of
/// version v never sees the aggregation that produces v + 1. Plain floats: the gRPC edge encodes the download chunks,
/// once per snapshot, over <see cref="Buffer"/> (FedTrain.Coordinator.Grpc.ModelDownloads).
/// </summary>
public sealed class ModelSnapshot
{
    private readonly float[] _parameters;

    /// <param name="version">The model version.</param>
    /// <param name="parameters">Taken over, not copied: the caller must not change it afterwards.</param>
    public ModelSnapshot(long version, float[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Version = version;
        _parameters = parameters;
        Sha256 = ParameterDigest.Sha256(parameters, parameters.LongLength);
        Xxh3128 = ParameterDigest.Xxh3128(parameters, parameters.LongLength);
    }

    /// <summary>0 for the initial model, then the number of the round whose aggregation produced it.</summary>
    public long Version { get; }

    /// <summary>SHA-256 of the parameters as little-endian float32 bytes.</summary>
    public byte[] Sha256 { get; }

    /// <summary>XXH3-128 of the same bytes: the checksum workers check a download against (a few ms for 10M parameters).</summary>
    public byte[] Xxh3128 { get; }

    public long ParameterCount => _parameters.LongLength;

    /// <summary>Size of the payload workers download, in bytes.</summary>
    public long PayloadBytes => _parameters.LongLength * sizeof(float);

    public ReadOnlySpan<float> Parameters => _parameters;

    /// <summary>
    /// The buffer itself: for the edge's download chunks, which wrap it rather than copy it, and for reuse once this
    /// version is retired and nobody reads it any more.
    /// </summary>
    internal float[] Buffer => _parameters;
}
