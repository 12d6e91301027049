using System.Security.Cryptography;
using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Worker;

/// <summary>
/// TorchScript archives a worker has fetched, as files named by their SHA-256 in one folder. An archive is
/// downloaded once, checked against the hash the assignment names before it is stored, and checked again the first
/// time this process uses a stored copy, so neither a corrupted transfer nor a tampered cache file gets loaded.
/// </summary>
internal sealed class ModuleCache(string directory)
{
    private const long MaxModuleBytes = 4L << 30;
    private readonly HashSet<string> _verified = new(StringComparer.Ordinal);

    /// <summary>The local path of the archive with <paramref name="sha256"/>, fetched from the coordinator if needed.</summary>
    /// <exception cref="PayloadException">The coordinator sent bytes that do not match the hash.</exception>
    public async Task<string> EnsureAsync(
        GrpcChannel channel, string workerId, string runId, string sha256, CancellationToken cancellationToken)
    {
        if (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit))
        {
            throw new PayloadException(PayloadError.BadHeader, $"The assignment names TorchScript module '{sha256}', which is not a SHA-256.");
        }

        string path = Path.Combine(directory, sha256.ToLowerInvariant() + ".pt");
        if (_verified.Contains(path))
        {
            return path;
        }

        if (File.Exists(path)
            && string.Equals(await HashOfFileAsync(path, cancellationToken).ConfigureAwait(false), sha256, StringComparison.OrdinalIgnoreCase))
        {
            _verified.Add(path);
            return path;
        }

        Directory.CreateDirectory(directory);
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            await DownloadAsync(channel, new ModuleRequest { WorkerId = workerId, RunId = runId, Sha256 = sha256 }, temporary, cancellationToken)
                .ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        _verified.Add(path);
        return path;
    }

    private static async Task DownloadAsync(GrpcChannel channel, ModuleRequest request, string target, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ModuleHeader? header = null;
        long received = 0;
        var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using (file.ConfigureAwait(false))
        {
            await foreach (var chunk in channel.ServerStreamingAsync(
                CoordinatorMethods.DownloadModule, request, new CallOptions(cancellationToken: cancellationToken)).ConfigureAwait(false))
            {
                if (chunk.ContentCase == ModuleChunk.ContentOneofCase.Header)
                {
                    if (header is not null || chunk.Header.TotalBytes is < 0 or > MaxModuleBytes)
                    {
                        throw new PayloadException(PayloadError.BadHeader, "The module stream carried a second or implausible header.");
                    }

                    header = chunk.Header;
                    continue;
                }

                if (header is null)
                {
                    throw new PayloadException(PayloadError.BadHeader, "The module stream did not start with a header.");
                }

                received += chunk.Data.Length;
                if (received > header.TotalBytes)
                {
                    throw new PayloadException(PayloadError.TooLarge, $"The module stream ran past its announced {header.TotalBytes} bytes.");
                }

                hash.AppendData(chunk.Data.Span);
                await file.WriteAsync(chunk.Data.Memory, cancellationToken).ConfigureAwait(false);
            }

            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        if (header is null || received != header.TotalBytes)
        {
            throw new PayloadException(PayloadError.Truncated, $"The module stream ended after {received} of {header?.TotalBytes ?? 0} bytes.");
        }

        string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(actual, request.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new PayloadException(PayloadError.ChecksumMismatch, $"The TorchScript module received hashes to {actual}, not {request.Sha256}.");
        }
    }

    private static async Task<string> HashOfFileAsync(string path, CancellationToken cancellationToken)
    {
        var file = File.OpenRead(path);
        await using (file.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
        }
    }
}
