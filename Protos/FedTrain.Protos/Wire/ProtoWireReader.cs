using System.Buffers;
using Google.Protobuf;

namespace FedTrain.Protos.Wire;

/// <summary>
/// Reads protobuf wire format from a <see cref="ReadOnlySequence{T}"/> in place, for messages parsed by hand so
/// that their large fields can be lent as slices of the input instead of copied. The sequence may be split
/// anywhere (HTTP/2 frames and pipe segments have no relation to field boundaries). Follows Google.Protobuf's
/// rules: tags are 32-bit varints with a non-zero field number, lengths are non-negative 32-bit, varints have at
/// most 10 bytes, and unknown fields, groups included, are skipped.
/// </summary>
/// <exception cref="InvalidDataException">Every malformed input: truncated, over-long varint, bad tag or wire type.</exception>
internal ref struct ProtoWireReader
{
    /// <summary>Nesting limit for skipped groups, Google.Protobuf's default recursion limit.</summary>
    public const int MaxGroupDepth = 100;

    private const int MaxVarintBytes = 10;

    private SequenceReader<byte> _reader;

    public ProtoWireReader(ReadOnlySequence<byte> message) => _reader = new SequenceReader<byte>(message);

    /// <summary>The next field's tag, or 0 at the end of the message.</summary>
    public uint ReadTag()
    {
        if (_reader.End)
        {
            return 0;
        }

        // Like Google.Protobuf, a tag is the low 32 bits of its varint.
        uint tag = (uint)ReadVarint();
        if (WireFormat.GetTagFieldNumber(tag) == 0)
        {
            throw new InvalidDataException($"Invalid tag {tag}: field number 0.");
        }

        return tag;
    }

    /// <summary>A length-delimited field's bytes, as a slice of the input (no copy).</summary>
    public ReadOnlySequence<byte> ReadLengthDelimited()
    {
        int length = ReadLength();
        var value = _reader.UnreadSequence.Slice(0, length);
        _reader.Advance(length);
        return value;
    }

    /// <summary>Skips the value of the field whose tag was just read.</summary>
    public void SkipField(uint tag) => SkipField(tag, depth: 0);

    private void SkipField(uint tag, int depth)
    {
        switch (WireFormat.GetTagWireType(tag))
        {
            case WireFormat.WireType.Varint:
                ReadVarint();
                break;
            case WireFormat.WireType.Fixed64:
                Skip(8);
                break;
            case WireFormat.WireType.LengthDelimited:
                Skip(ReadLength());
                break;
            case WireFormat.WireType.StartGroup:
                SkipGroup(tag, depth + 1);
                break;
            case WireFormat.WireType.Fixed32:
                Skip(4);
                break;
            case WireFormat.WireType.EndGroup:
                throw new InvalidDataException($"An end-group tag for field {WireFormat.GetTagFieldNumber(tag)} without its start.");
            default:
                throw new InvalidDataException($"Invalid wire type {(int)WireFormat.GetTagWireType(tag)} in tag {tag}.");
        }
    }

    private void SkipGroup(uint startTag, int depth)
    {
        if (depth > MaxGroupDepth)
        {
            throw new InvalidDataException($"Groups nested deeper than {MaxGroupDepth}.");
        }

        int field = WireFormat.GetTagFieldNumber(startTag);
        while (true)
        {
            uint tag = ReadTag();
            if (tag == 0)
            {
                throw new InvalidDataException($"The message ended inside group {field}.");
            }

            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.EndGroup)
            {
                if (WireFormat.GetTagFieldNumber(tag) != field)
                {
                    throw new InvalidDataException($"Group {field} closed by the end-group tag of field {WireFormat.GetTagFieldNumber(tag)}.");
                }

                return;
            }

            SkipField(tag, depth);
        }
    }

    private int ReadLength()
    {
        // Google.Protobuf reads a length as a 32-bit varint: values with the top bit set are negative sizes.
        int length = (int)(uint)ReadVarint();
        if (length < 0)
        {
            throw new InvalidDataException($"Negative length {length}.");
        }

        if (length > _reader.Remaining)
        {
            throw new InvalidDataException($"A field of {length} bytes runs past the end of the message ({_reader.Remaining} bytes left).");
        }

        return length;
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (int i = 0; i < MaxVarintBytes; i++)
        {
            if (!_reader.TryRead(out byte b))
            {
                throw new InvalidDataException("The message ended inside a varint.");
            }

            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException($"A varint longer than {MaxVarintBytes} bytes.");
    }

    private void Skip(int count)
    {
        if (count > _reader.Remaining)
        {
            throw new InvalidDataException($"A field of {count} bytes runs past the end of the message ({_reader.Remaining} bytes left).");
        }

        _reader.Advance(count);
    }
}
