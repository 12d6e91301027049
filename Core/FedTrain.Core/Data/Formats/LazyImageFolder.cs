namespace FedTrain.Core.Data.Formats;

/// <summary>
/// An image folder's files, decoded when the trainer asks for them and kept in a least-recently-used cache of at
/// most <c>capacity</c> decoded images, so a folder larger than memory trains in base + model + batches + cache.
/// Every file was decoded once at load to check it; one that no longer decodes is refused with its path.
/// </summary>
internal sealed class LazyImageFolder : IExampleSource
{
    private readonly IReadOnlyList<string> _files;
    private readonly (int Channels, int Height, int Width) _shape;
    private readonly ImageNormalization _normalization;
    private readonly int _capacity;
    private readonly Dictionary<long, LinkedListNode<(long Row, float[] Pixels)>> _cached = [];
    private readonly LinkedList<(long Row, float[] Pixels)> _recency = new();
    private readonly Lock _lock = new();

    public LazyImageFolder(IReadOnlyList<string> files, (int Channels, int Height, int Width) shape, ImageNormalization normalization, long cacheBytes)
    {
        _files = files;
        _shape = shape;
        _normalization = normalization;
        long perImage = 4L * shape.Channels * shape.Height * shape.Width;
        _capacity = (int)Math.Clamp(cacheBytes / perImage, 1, int.MaxValue);
    }

    /// <summary>Decodes since creation: how often the cache missed.</summary>
    public long Decodes { get; private set; }

    public void Fill(ReadOnlySpan<long> indices, Span<float> destination)
    {
        int perImage = _shape.Channels * _shape.Height * _shape.Width;
        lock (_lock)
        {
            for (int i = 0; i < indices.Length; i++)
            {
                Pixels(indices[i]).CopyTo(destination.Slice(i * perImage, perImage));
            }
        }
    }

    private float[] Pixels(long row)
    {
        if (_cached.TryGetValue(row, out var hit))
        {
            _recency.Remove(hit);
            _recency.AddFirst(hit);
            return hit.Value.Pixels;
        }

        // A full cache gives its least recently used buffer to the new image, so it never grows past capacity.
        float[] pixels;
        if (_cached.Count >= _capacity)
        {
            var oldest = _recency.Last!;
            _recency.RemoveLast();
            _cached.Remove(oldest.Value.Row);
            pixels = oldest.Value.Pixels;
        }
        else
        {
            pixels = new float[_shape.Channels * _shape.Height * _shape.Width];
        }

        string path = _files[(int)row];
        if (ImageDecoder.TryDecode(path, _shape.Channels, _shape.Height, _shape.Width, _normalization, pixels) is { } reason)
        {
            throw new DataValidationException($"{path}: {reason}; it was readable when the worker started, so the folder changed under it.");
        }

        Decodes++;
        _cached[row] = _recency.AddFirst((row, pixels));
        return pixels;
    }
}
