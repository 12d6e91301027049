using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FedTrain.Core.Aggregation;

/// <summary>
/// A verified update in a spool file of P little-endian float32 values, read with positional reads. The bytes sit in
/// the page cache, not in this process's memory, and several threads may read different ranges at once.
/// </summary>
public sealed class SpooledUpdate : IUpdateSource, IDisposable
{
    private const int SliceFloats = 1 << 26;

    private readonly SafeFileHandle _file;

    private SpooledUpdate(string path, SafeFileHandle file, long length)
    {
        Path = path;
        _file = file;
        Length = length;
    }

    /// <summary>The spool file.</summary>
    public string Path { get; }

    public long Length { get; }

    /// <summary>Opens a spool file for reading and checks that it holds exactly <paramref name="length"/> floats.</summary>
    /// <exception cref="InvalidDataException">The file has another size.</exception>
    public static SpooledUpdate Open(string path, long length)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        long bytes = RandomAccess.GetLength(file);
        if (bytes != length * sizeof(float))
        {
            file.Dispose();
            throw new InvalidDataException($"Spool file {path} holds {bytes} bytes; an update of {length} parameters has {length * sizeof(float)}.");
        }

        return new SpooledUpdate(path, file, length);
    }

    public void ReadRange(long start, Span<float> destination)
    {
        ParameterRanges.CheckRange(start, destination.Length, Length);
        // In slices: a byte view of more than 2^29 floats would overflow a span's length.
        for (int done = 0; done < destination.Length; done += SliceFloats)
        {
            var slice = destination.Slice(done, Math.Min(SliceFloats, destination.Length - done));
            ReadExactly(MemoryMarshal.AsBytes(slice), (start + done) * sizeof(float));
        }
    }

    public void Dispose() => _file.Dispose();

    private void ReadExactly(Span<byte> bytes, long offset)
    {
        int done = 0;
        while (done < bytes.Length)
        {
            int read = RandomAccess.Read(_file, bytes[done..], offset + done);
            if (read == 0)
            {
                throw new EndOfStreamException($"Spool file {Path} ended at byte {offset + done}.");
            }

            done += read;
        }
    }
}
