using System.Buffers;
using System.Runtime.InteropServices;
using FedTrain.Core.Aggregation;
using Microsoft.Win32.SafeHandles;

namespace FedTrain.Core.Robust;

/// <summary>
/// The round's updates for the robust rules: the first ⌊budget / 4P⌋ are kept in memory, the rest spill to a
/// temporary file read back with positional reads. Reuse one spool across rounds (<see cref="Clear"/>): its
/// in-memory buffers and its file are kept, because fresh pages cost more than the copy into them.
/// </summary>
/// <remarks>
/// <para>Memory: at most <c>MemoryBudgetBytes</c> of update data (rounded down to whole updates), plus the kernels'
/// own range buffers (see each rule). Disk: 4P bytes per spilled update. The file is unlinked as soon as it is
/// created where the OS allows it (Unix), and deleted on close elsewhere, so nothing is left behind even if the
/// process dies.</para>
/// <para><see cref="Add"/> and <see cref="Clear"/> are not thread-safe; <see cref="ReadRange"/> may run on several
/// threads at once between them. Non-finite values are rejected on <see cref="Add"/>.</para>
/// </remarks>
public sealed class UpdateSpool : IUpdateSet, IDisposable
{
    private readonly int _length;
    private readonly int _residentCapacity;
    private readonly string _directory;
    private readonly List<float[]> _resident = [];
    private readonly List<int> _slots = [];
    private readonly List<double> _weights = [];
    private SafeFileHandle? _file;
    private int _residentCount;
    private int _spilledCount;
    private bool _disposed;

    /// <param name="length">P, the parameters per update.</param>
    /// <param name="memoryBudgetBytes">Bytes of update data to keep in memory; 0 spills every update.</param>
    /// <param name="spillDirectory">Where the spill file goes; null means the system temporary directory.</param>
    public UpdateSpool(int length, long memoryBudgetBytes, string? spillDirectory = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(memoryBudgetBytes);
        _length = length;
        MemoryBudgetBytes = memoryBudgetBytes;
        long bytesPerUpdate = Math.Max(1L, sizeof(float) * (long)length);
        _residentCapacity = (int)Math.Min(int.MaxValue, memoryBudgetBytes / bytesPerUpdate);
        _directory = spillDirectory ?? Path.GetTempPath();
    }

    public int Count => _slots.Count;

    public long Length => _length;

    public long MemoryBudgetBytes { get; }

    /// <summary>Updates held in memory this round.</summary>
    public int ResidentCount => _residentCount;

    /// <summary>Updates written to the spill file this round.</summary>
    public int SpilledCount => _spilledCount;

    /// <summary>Appends an update (copied) with its weight.</summary>
    /// <param name="update">Δₖ, P finite floats.</param>
    /// <param name="weight">nₖ &gt; 0, finite.</param>
    public void Add(ReadOnlySpan<float> update, double weight)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (update.Length != _length)
        {
            throw new ArgumentException($"Update has {update.Length} elements, the spool {_length}.", nameof(update));
        }

        if (!double.IsFinite(weight) || weight <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "Weight must be positive and finite.");
        }

        long bad = UpdateChecks.IndexOfNonFinite(update);
        if (bad >= 0)
        {
            throw new ArgumentException($"Update has a non-finite value at index {bad}.", nameof(update));
        }

        if (_residentCount < _residentCapacity)
        {
            if (_residentCount == _resident.Count)
            {
                _resident.Add(GC.AllocateUninitializedArray<float>(_length));
            }

            update.CopyTo(_resident[_residentCount]);
            _slots.Add(_residentCount++);
        }
        else
        {
            RandomAccess.Write(SpillFile(), MemoryMarshal.AsBytes(update), SpillOffset(_spilledCount, 0));
            // Spilled updates are numbered −1, −2, … so one list says where every update lives.
            _slots.Add(-++_spilledCount);
        }

        _weights.Add(weight);
    }

    /// <summary>Appends an update read range by range from <paramref name="update"/> (a spool file, say), with its weight.</summary>
    /// <param name="update">Δₖ, P finite floats.</param>
    /// <param name="weight">nₖ &gt; 0, finite.</param>
    public void Add(IUpdateSource update, double weight)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(update);
        if (update.Length != _length)
        {
            throw new ArgumentException($"Update has {update.Length} elements, the spool {_length}.", nameof(update));
        }

        if (!double.IsFinite(weight) || weight <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "Weight must be positive and finite.");
        }

        bool resident = _residentCount < _residentCapacity;
        if (resident && _residentCount == _resident.Count)
        {
            _resident.Add(GC.AllocateUninitializedArray<float>(_length));
        }

        float[]? target = resident ? _resident[_residentCount] : null;
        long spillOffset = resident ? 0 : SpillOffset(_spilledCount, 0);
        var file = resident ? null : SpillFile();
        float[] buffer = ArrayPool<float>.Shared.Rent(Math.Min(_length, ParameterRanges.DefaultRangeSize));
        try
        {
            for (long start = 0; start < _length; start += ParameterRanges.DefaultRangeSize)
            {
                int count = (int)Math.Min(ParameterRanges.DefaultRangeSize, _length - start);
                var range = target is null ? buffer.AsSpan(0, count) : target.AsSpan((int)start, count);
                update.ReadRange(start, range);
                long bad = UpdateChecks.IndexOfNonFinite(range);
                if (bad >= 0)
                {
                    throw new ArgumentException($"Update has a non-finite value at index {start + bad}.", nameof(update));
                }

                if (file is not null)
                {
                    RandomAccess.Write(file, MemoryMarshal.AsBytes(range), spillOffset + (start * sizeof(float)));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }

        _slots.Add(resident ? _residentCount++ : -++_spilledCount);
        _weights.Add(weight);
    }

    public void ReadRange(int update, long start, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(update);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(update, Count);
        if (start < 0 || start + destination.Length > _length)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"Range [{start}, {start + destination.Length}) is outside [0, {_length}).");
        }

        int slot = _slots[update];
        if (slot >= 0)
        {
            _resident[slot].AsSpan((int)start, destination.Length).CopyTo(destination);
            return;
        }

        var bytes = MemoryMarshal.AsBytes(destination);
        long offset = SpillOffset(-slot - 1, start);
        int done = 0;
        while (done < bytes.Length)
        {
            int read = RandomAccess.Read(_file!, bytes[done..], offset + done);
            if (read == 0)
            {
                throw new EndOfStreamException($"Spill file ended inside update {update}.");
            }

            done += read;
        }
    }

    public double Weight(int update) => _weights[update];

    /// <summary>Empties the spool for the next round, keeping its memory and file for reuse.</summary>
    public void Clear()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _slots.Clear();
        _weights.Clear();
        _residentCount = 0;
        _spilledCount = 0;
        if (_file is not null)
        {
            // Give the disk space back between rounds; the next spill extends the file again.
            RandomAccess.SetLength(_file, 0);
        }
    }

    /// <summary>Closes and deletes the spill file and drops the in-memory buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _file?.Dispose();
        _resident.Clear();
    }

    private long SpillOffset(int spilled, long start) => ((spilled * (long)_length) + start) * sizeof(float);

    private SafeFileHandle SpillFile()
    {
        if (_file is null)
        {
            string path = Path.Combine(_directory, $"fedtrain-spool-{Guid.NewGuid():N}.bin");
            _file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
            if (!OperatingSystem.IsWindows())
            {
                // The open handle keeps the data; the name goes now, so a crash leaves no file behind.
                File.Delete(path);
            }
        }

        return _file;
    }
}
