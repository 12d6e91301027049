using System.IO.Hashing;
using System.Security.Cryptography;
using FedTrain.Protos.V1;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// The running checksum of a payload as its bytes arrive, of the kind its header carries: XXH3-128 when the header
/// has one, else SHA-256. Either catches bytes corrupted or cut short on the way; neither stops a forger, who would
/// rewrite the header too (see <c>PayloadChecksum</c> in model.proto), so the faster one is checked when offered.
/// </summary>
internal sealed class PayloadIntegrity : IDisposable
{
    private readonly XxHash128? _xxh3;
    private readonly IncrementalHash? _sha256;

    /// <param name="header">A header that passed <see cref="PayloadHeaderCheck.Validate"/>.</param>
    public PayloadIntegrity(PayloadHeader header)
    {
        if (header.Xxh3128.Length > 0)
        {
            _xxh3 = new XxHash128();
        }
        else
        {
            _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_xxh3 is not null)
        {
            _xxh3.Append(bytes);
        }
        else
        {
            _sha256!.AppendData(bytes);
        }
    }

    /// <summary>Checks the bytes appended so far against the header's checksum, then starts over.</summary>
    /// <exception cref="PayloadException">The checksums differ.</exception>
    public void Verify(PayloadHeader header)
    {
        Span<byte> digest = stackalloc byte[32];
        if (_xxh3 is not null)
        {
            _xxh3.GetHashAndReset(digest[..16]);
            if (!digest[..16].SequenceEqual(header.Xxh3128.Span))
            {
                throw new PayloadException(PayloadError.ChecksumMismatch, "Payload XXH3-128 does not match its header.");
            }
        }
        else
        {
            _sha256!.GetHashAndReset(digest);
            if (!digest.SequenceEqual(header.Sha256.Span))
            {
                throw new PayloadException(PayloadError.ChecksumMismatch, "Payload SHA-256 does not match its header.");
            }
        }
    }

    public void Dispose() => _sha256?.Dispose();
}
