using System.Globalization;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// A numeric array as stored (npy or safetensors): its element type, shape and raw little-endian bytes, converted to
/// float32 inputs or int64 labels on demand.
/// </summary>
internal sealed record NumericArray(string Source, string DType, long[] Shape, byte[] Bytes)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    public double this[long index] => DType switch
    {
        "f4" or "F32" => BitConverter.ToSingle(Bytes, checked((int)(index * 4))),
        "f8" or "F64" => BitConverter.ToDouble(Bytes, checked((int)(index * 8))),
        "f2" or "F16" => (double)BitConverter.ToHalf(Bytes, checked((int)(index * 2))),
        "i8" or "I64" => BitConverter.ToInt64(Bytes, checked((int)(index * 8))),
        "i4" or "I32" => BitConverter.ToInt32(Bytes, checked((int)(index * 4))),
        "i2" or "I16" => BitConverter.ToInt16(Bytes, checked((int)(index * 2))),
        "u8" or "U64" => BitConverter.ToUInt64(Bytes, checked((int)(index * 8))),
        "u4" or "U32" => BitConverter.ToUInt32(Bytes, checked((int)(index * 4))),
        "u2" or "U16" => BitConverter.ToUInt16(Bytes, checked((int)(index * 2))),
        "u1" or "U8" or "b1" or "BOOL" => Bytes[index],
        "i1" or "I8" => (sbyte)Bytes[index],
        _ => throw new DataValidationException($"{Source}: element type '{DType}' is not a number type this reader takes."),
    };

    public static int ElementSize(string source, string dtype) => dtype switch
    {
        "f8" or "F64" or "i8" or "I64" or "u8" or "U64" => 8,
        "f4" or "F32" or "i4" or "I32" or "u4" or "U32" => 4,
        "f2" or "F16" or "i2" or "I16" or "u2" or "U16" => 2,
        "u1" or "U8" or "i1" or "I8" or "b1" or "BOOL" => 1,
        _ => throw new DataValidationException(
            $"{source}: element type '{dtype}' is not supported; use float32/float64/float16 or (u)int8..64."),
    };

    public string ShapeText => string.Join('x', Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
}

/// <summary>
/// Turns an inputs array <c>x</c> and a labels array <c>y</c> into examples: x is [N, ...] with N×(the model's input
/// size) values, taken as they are (arrays are already preprocessed by their owner); y is [N] class indices.
/// </summary>
internal static class ArrayPair
{
    public static LoadedData ToLoadedData(NumericArray x, NumericArray y, DataFormat format, DataContract contract, DataSourceOptions options)
    {
        if (x.Shape.Length < 2)
        {
            throw new DataValidationException($"{x.Source}: x has shape {x.ShapeText}; it must be [examples, features...] with at least 2 dimensions.");
        }

        long n = x.Shape[0];
        if (y.Shape.Length != 1 && !(y.Shape.Length == 2 && y.Shape[1] == 1))
        {
            throw new DataValidationException($"{y.Source}: y has shape {y.ShapeText}; it must be [examples] of class indices.");
        }

        if (y.Shape[0] != n)
        {
            throw new DataValidationException($"{x.Source} holds {n} examples in x but {y.Shape[0]} labels in y.");
        }

        long perExample = x.Count / Math.Max(1, n);
        var (channels, height, width) = Shape(x, contract, perExample);
        var kept = Enumerable.Range(0, checked((int)n)).Where(i => SplitRows.Keep(options, i)).Take(options.Limit ?? int.MaxValue).ToArray();
        int count = kept.Length;
        int classes = contract.ClassNames?.Count ?? contract.Model?.Classes ?? 0;
        var labels = new long[count];
        for (int k = 0; k < count; k++)
        {
            int i = kept[k];
            double label = y[i];
            if (label != Math.Floor(label) || label < 0 || (classes > 0 && label >= classes))
            {
                throw new DataValidationException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{y.Source}: example {i}: label {label} is not a class index{(classes > 0 ? $" in 0..{classes - 1} (the run's {classes} classes)" : " (a whole number >= 0)")}."));
            }

            labels[k] = (long)label;
        }

        if (classes == 0)
        {
            classes = (int)(labels.DefaultIfEmpty(0).Max() + 1);
        }

        var values = new float[count * perExample];
        for (long v = 0; v < values.LongLength; v++)
        {
            long source = (kept[v / perExample] * perExample) + (v % perExample);
            float value = (float)x[source];
            if (!float.IsFinite(value))
            {
                throw new DataValidationException(string.Create(
                    CultureInfo.InvariantCulture, $"{x.Source}: example {source / perExample}, element {source % perExample}: {x[source]} is not a finite number."));
            }

            values[v] = value;
        }

        var names = contract.ClassNames ?? Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToList();
        var dataset = new ImageDataset(values, labels, channels, height, width, classes);
        int empty = Array.IndexOf(dataset.LabelHistogram(), 0L);
        if (empty >= 0 && contract.ClassNames is not null)
        {
            throw new DataValidationException($"{y.Source}: class '{names[empty]}' (index {empty}) has no examples; every class of the run needs examples.");
        }

        return new LoadedData(dataset, format, names)
        {
            Preprocessing = width == perExample && channels == 1 && height == 1 && contract.Model is { IsTabular: true }
                ? "per-feature standardisation with this worker's own statistics (computed on its training split)"
                : "none: arrays are used as stored",
        };
    }

    private static (int Channels, int Height, int Width) Shape(NumericArray x, DataContract contract, long perExample)
    {
        if (contract.Model is { } model)
        {
            var (c, h, w) = model.InputShape;
            if ((long)c * h * w != perExample)
            {
                throw new DataValidationException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{x.Source}: x has shape {x.ShapeText} ({perExample} values per example), but the run's model ({model.ToNativeSpec()}) takes {c}x{h}x{w} = {(long)c * h * w}."));
            }

            return (c, h, w);
        }

        long[] dims = x.Shape[1..];
        return dims.Length switch
        {
            1 => (1, 1, (int)dims[0]),
            2 => (1, (int)dims[0], (int)dims[1]),
            3 => ((int)dims[0], (int)dims[1], (int)dims[2]),
            _ => (1, 1, (int)perExample),
        };
    }
}
