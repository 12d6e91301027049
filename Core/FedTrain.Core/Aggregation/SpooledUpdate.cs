using FedTrain.Core.Compression;
using Microsoft.Win32.SafeHandles;

namespace FedTrain.Core.Aggregation;

/// <summary>
/// A verified update in a spool file of P parameters, read with positional reads: little-endian float32 values, or
/// the bytes of a compressed <see cref="UpdateEncoding"/>, decoded range by range as they are read. The bytes sit in
/// the page cache, not in this process's memory, and several threads may read different ranges at once.
/// </summary>
public sealed class SpooledUpdate : IUpdateSource, IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly FileReader _reader;
    private readonly int _keptPerBlock;

    private SpooledUpdate(string path, SafeFileHandle file, long length, UpdateEncoding encoding, long encodedBytes)
    {
        Path = path;
        _file = file;
        Length = length;
        Encoding = encoding;
        EncodedBytes = encodedBytes;
        _keptPerBlock = encoding == UpdateEncoding.TopK ? EncodedLayout.TopKKeptPerBlockOfSize(length, encodedBytes) : 0;
        _reader = new FileReader(path, file);
    }

    /// <summary>The spool file.</summary>
    public string Path { get; }

    public long Length { get; }

    /// <summary>How the file's values are encoded; <see cref="ReadRange"/> always yields float32.</summary>
    public UpdateEncoding Encoding { get; }

    /// <summary>Size of the file: the update's bytes as uploaded.</summary>
    public long EncodedBytes { get; }

    /// <summary>Opens a spool file for reading and checks that it holds exactly <paramref name="length"/> parameters.</summary>
    /// <param name="path">The spool file.</param>
    /// <param name="length">P, the number of parameters.</param>
    /// <param name="encoding">How the values are encoded.</param>
    /// <exception cref="InvalidDataException">The file has another size than P parameters take in <paramref name="encoding"/>.</exception>
    /// <remarks>A top-k file's size gives its m (values kept per block), so the file describes itself.</remarks>
    public static SpooledUpdate Open(string path, long length, UpdateEncoding encoding = UpdateEncoding.Float32)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        long bytes = RandomAccess.GetLength(file);
        if (!EncodedLayout.IsPossibleSize(encoding, length, bytes))
        {
            file.Dispose();
            string expected = encoding == UpdateEncoding.TopK ? "a whole number of entries per block" : EncodedLayout.EncodedBytes(encoding, length).ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new InvalidDataException(
                $"Spool file {path} holds {bytes} bytes; an update of {length} parameters has {expected} ({UpdateCompression.FormatName(encoding)} encoding).");
        }

        return new SpooledUpdate(path, file, length, encoding, bytes);
    }

    public void ReadRange(long start, Span<float> destination) => UpdateDecoder.ReadRange(_reader, Encoding, Length, start, destination, _keptPerBlock);

    public void Dispose() => _file.Dispose();

    private sealed class FileReader(string path, SafeFileHandle file) : IByteRangeReader
    {
        public void ReadExactly(long offset, Span<byte> destination)
        {
            int done = 0;
            while (done < destination.Length)
            {
                int read = RandomAccess.Read(file, destination[done..], offset + done);
                if (read == 0)
                {
                    throw new EndOfStreamException($"Spool file {path} ended at byte {offset + done}.");
                }

                done += read;
            }
        }
    }
}
