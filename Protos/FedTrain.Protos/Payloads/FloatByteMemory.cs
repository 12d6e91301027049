using System.Buffers;
using System.Runtime.InteropServices;

namespace FedTrain.Protos.Payloads;

/// <summary>
/// A slice of a float array seen as bytes, so a chunk of a model can be handed to protobuf without copying.
/// Model buffers can exceed 2 GiB, beyond what one <c>Memory&lt;byte&gt;</c> can address; each chunk is small.
/// </summary>
internal sealed class FloatByteMemory : MemoryManager<byte>
{
    private readonly float[] _array;
    private readonly int _start;
    private readonly int _length;
    private GCHandle _pin;

    public FloatByteMemory(float[] array, int start, int length)
    {
        _array = array;
        _start = start;
        _length = length;
    }

    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(_array.AsSpan(_start, _length));

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        if (!_pin.IsAllocated)
        {
            _pin = GCHandle.Alloc(_array, GCHandleType.Pinned);
        }

        byte* start = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(_array, _start);
        return new MemoryHandle(start + elementIndex, default, this);
    }

    public override void Unpin()
    {
        if (_pin.IsAllocated)
        {
            _pin.Free();
        }
    }

    protected override void Dispose(bool disposing) => Unpin();
}
