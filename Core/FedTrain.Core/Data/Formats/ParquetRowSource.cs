using Parquet;
using Parquet.Schema;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// A Parquet file's feature rows read on demand: the row group holding a row is decoded when asked for and kept in a
/// least-recently-used cache of at most <c>cacheBytes</c> of decoded groups (at least one group).
/// </summary>
internal sealed class ParquetRowSource : IExampleSource, IDisposable
{
    private readonly string _path;
    private readonly RawTable _messages;
    private readonly int[] _features;
    private readonly long[] _groupStarts;
    private readonly int _capacity;
    private readonly Dictionary<int, LinkedListNode<(int Group, float[] Values)>> _cached = [];
    private readonly LinkedList<(int Group, float[] Values)> _recency = new();
    private readonly Lock _lock = new();
    private SynchronousReadStream? _stream;
    private ParquetReader? _reader;
    private DataField[]? _fields;

    /// <param name="messages">Names the file, rows and columns in refusals.</param>
    /// <param name="features">The feature columns' indices among the file's data fields.</param>
    /// <param name="groupStarts">The first row of each row group, then the row count.</param>
    public ParquetRowSource(string path, RawTable messages, int[] features, long[] groupStarts, long cacheBytes)
    {
        _path = path;
        _messages = messages;
        _features = features;
        _groupStarts = groupStarts;
        long largest = Enumerable.Range(0, groupStarts.Length - 1).Max(g => groupStarts[g + 1] - groupStarts[g]);
        _capacity = (int)Math.Clamp(cacheBytes / Math.Max(1, 4L * features.Length * largest), 1, int.MaxValue);
    }

    public void Fill(ReadOnlySpan<long> indices, Span<float> destination)
    {
        int width = _features.Length;
        // Rows in the order of their row groups, so a batch decodes each group it needs once even when the cache
        // holds fewer groups than the batch touches.
        var order = Enumerable.Range(0, indices.Length).ToArray();
        long[] rows = indices.ToArray();
        Array.Sort(rows.ToArray(), order);
        lock (_lock)
        {
            foreach (int i in order)
            {
                long row = rows[i];
                int group = Array.BinarySearch(_groupStarts, row);
                group = group >= 0 ? group : ~group - 1;
                // Empty row groups share their start with the next one: move on to the group that holds the row.
                while (_groupStarts[group + 1] <= row)
                {
                    group++;
                }

                float[] values = Group(group);
                values.AsSpan((int)((row - _groupStarts[group]) * width), width).CopyTo(destination.Slice(i * width, width));
            }
        }
    }

    private float[] Group(int group)
    {
        if (_cached.TryGetValue(group, out var hit))
        {
            _recency.Remove(hit);
            _recency.AddFirst(hit);
            return hit.Value.Values;
        }

        if (_cached.Count >= _capacity)
        {
            _cached.Remove(_recency.Last!.Value.Group);
            _recency.RemoveLast();
        }

        // The callback runs on the trainer's thread, which waits for the batch anyway; Parquet.Net reads asynchronously only.
        float[] values = DecodeAsync(group).GetAwaiter().GetResult();
        _cached[group] = _recency.AddFirst((group, values));
        return values;
    }

    private async Task<float[]> DecodeAsync(int group)
    {
        // One reader for the source's life: opening one parses the file's footer, which for many small row groups
        // costs more than decoding a group. The file stays open as long as the worker's data does.
        if (_reader is null)
        {
            _stream = new SynchronousReadStream(File.OpenRead(_path));
            _reader = await ParquetReader.CreateAsync(_stream).ConfigureAwait(false);
            _fields = _reader.Schema.GetDataFields();
        }

        using var rowGroup = _reader.OpenRowGroupReader(group);
        int rows = checked((int)rowGroup.RowCount);
        int width = _features.Length;
        var values = new float[rows * width];
        for (int f = 0; f < width; f++)
        {
            var column = await ParquetColumn.ReadAsync(rowGroup, _fields![_features[f]], rows, CancellationToken.None).ConfigureAwait(false);
            for (int r = 0; r < rows; r++)
            {
                values[(r * width) + f] = column.Number(r, _messages, _groupStarts[group] + r + 1, f);
            }
        }

        return values;
    }

    public void Dispose()
    {
        _reader?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _stream?.Dispose();
    }
}
