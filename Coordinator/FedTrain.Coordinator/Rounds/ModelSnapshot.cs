using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedTrain.Coordinator.Rounds;

/// <summary>
/// One immutable version of the global model as the bytes workers download. Immutable so that a slow download
/// of version v never sees the aggregation that produces v + 1.
/// </summary>
public sealed class ModelSnapshot
{
    public ModelSnapshot(long version, float[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Version = version;
        Payload = MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray();
        Sha256 = SHA256.HashData(Payload);
    }

    /// <summary>0 for the initial model, then the number of the round whose aggregation produced it.</summary>
    public long Version { get; }

    /// <summary>The parameters as little-endian float32 bytes.</summary>
    public byte[] Payload { get; }

    public byte[] Sha256 { get; }

    public long ParameterCount => Payload.Length / sizeof(float);

    public ReadOnlySpan<float> Parameters => MemoryMarshal.Cast<byte, float>(Payload);
}
