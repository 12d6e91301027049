using FedTrain.Core.Compression;
using FedTrain.Core.Models;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using Google.Protobuf;

namespace FedTrain.Worker;

/// <summary>
/// Encodes a client's delta in the encoding the round asks for (float16, int8 or top-k), with error feedback per
/// client: the part quantisation or sparsification drops is added to that client's next delta. One encoded buffer is reused for every upload;
/// it holds the latest client's update until its stream is sent (and re-sent, if the upload is retried).
/// </summary>
/// <remarks>
/// Residuals live in this process only. They are dropped when the worker restarts, when a new run starts (another
/// run id), and for a client whose model size changed; an update that was not accepted keeps the client's previous
/// residual. Memory: one model-sized float buffer per client that has uploaded, plus the encoded buffer.
/// </remarks>
internal sealed class UpdateCompressor
{
    private readonly ErrorFeedback _feedback = new();
    private string _runId = string.Empty;
    private byte[] _encoded = [];
    private float[] _pendingResidual = [];
    private int _encodedLength;
    private int _parameterCount;

    /// <summary>Encodes <paramref name="delta"/> (corrected in place by the client's residual) and describes it with <paramref name="checksum"/>.</summary>
    public PayloadHeader Encode(
        string runId, string clientId, UpdateEncoding encoding, int topKKeptPerBlock, Span<float> delta, int chunkBytes, ParameterManifest? manifest,
        PayloadChecksum checksum = PayloadChecksum.Sha256)
    {
        if (runId != _runId)
        {
            // A residual is what a client still owes its run's model; another run starts from a model of its own.
            _feedback.Clear();
            _runId = runId;
        }

        long bytes = EncodedLayout.EncodedBytes(encoding, delta.Length, topKKeptPerBlock);
        if (bytes > Array.MaxLength)
        {
            throw new InvalidOperationException(
                $"A {UpdateCompression.FormatName(encoding)} update of {delta.Length} parameters takes {bytes} bytes, more than one buffer holds.");
        }

        if (_encoded.Length < bytes)
        {
            _encoded = new byte[bytes];
        }

        if (_pendingResidual.Length < delta.Length)
        {
            _pendingResidual = new float[delta.Length];
        }

        _encodedLength = (int)bytes;
        _parameterCount = delta.Length;
        _feedback.Encode(clientId, delta, encoding, _encoded.AsSpan(0, _encodedLength), _pendingResidual.AsSpan(0, _parameterCount));
        return EncodedPayloadCodec.CreateHeader(_encoded, _encodedLength, encoding, _parameterCount, chunkBytes, manifest, checksum);
    }

    /// <summary>The last encoded update as chunks wrapping (not copying) the buffer.</summary>
    public IEnumerable<ByteString> Chunks(int chunkBytes) => EncodedPayloadCodec.Chunks(_encoded, _encodedLength, chunkBytes);

    /// <summary>The coordinator accepted the client's last encoded update: its quantisation error carries over.</summary>
    public void Delivered(string clientId) => _feedback.Commit(clientId, _pendingResidual.AsSpan(0, _parameterCount));
}
