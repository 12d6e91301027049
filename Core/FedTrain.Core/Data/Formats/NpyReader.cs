using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FedTrain.Core.Data.Formats;

/// <summary>
/// Reads NumPy's <c>.npy</c> format (versions 1 to 3): the magic, a header dictionary giving <c>descr</c>,
/// <c>fortran_order</c> and <c>shape</c>, then the C-ordered data. Little-endian numeric types only.
/// </summary>
internal static partial class NpyReader
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static LoadedData ReadPair(DataSourceOptions options, DataContract contract)
    {
        string folder = File.Exists(options.Path) ? Path.GetDirectoryName(Path.GetFullPath(options.Path))! : options.Path;
        string xPath = Path.Combine(folder, "x.npy");
        string yPath = Path.Combine(folder, "y.npy");
        foreach (string path in new[] { xPath, yPath })
        {
            if (!File.Exists(path))
            {
                throw new DataValidationException($"{folder}: an npy data set is a folder holding x.npy (inputs) and y.npy (labels); {path} is missing.");
            }
        }

        return ArrayPair.ToLoadedData(Read(xPath), Read(yPath), DataFormat.Npy, contract, options);
    }

    public static NumericArray Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new DataValidationException($"{path} is not an .npy file (no \\x93NUMPY magic).");
        }

        int major = bytes[6];
        int headerLength = major == 1 ? BitConverter.ToUInt16(bytes, 8) : (int)BitConverter.ToUInt32(bytes, 8);
        int headerStart = major == 1 ? 10 : 12;
        if (headerStart + headerLength > bytes.Length)
        {
            throw new DataValidationException($"{path}: the .npy header runs past the end of the file.");
        }

        string header = Encoding.UTF8.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !shape.Success)
        {
            throw new DataValidationException($"{path}: cannot read the .npy header '{header.Trim()}'.");
        }

        if (FortranPattern().IsMatch(header))
        {
            throw new DataValidationException($"{path} is stored in Fortran order; save it with numpy.ascontiguousarray first.");
        }

        string order = descr.Groups[1].Value;
        string dtype = descr.Groups[2].Value;
        if (order == ">" && ArrayElementSize(path, dtype) > 1)
        {
            throw new DataValidationException($"{path} is big-endian ({order}{dtype}); save it little-endian (astype('<{dtype}')).");
        }

        long[] dims = shape.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        int dataStart = headerStart + headerLength;
        long count = dims.Aggregate(1L, (a, b) => a * b);
        long expected = count * ArrayElementSize(path, dtype);
        if (bytes.Length - dataStart != expected)
        {
            throw new DataValidationException(string.Create(
                CultureInfo.InvariantCulture, $"{path}: shape ({string.Join(',', dims)}) of {dtype} needs {expected} bytes of data, the file has {bytes.Length - dataStart}."));
        }

        return new NumericArray(path, dtype, dims, bytes[dataStart..]);
    }

    private static int ArrayElementSize(string path, string dtype) => NumericArray.ElementSize(path, dtype);

    [GeneratedRegex(@"'descr'\s*:\s*'([<>|=])([a-z]\d)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*True")]
    private static partial Regex FortranPattern();
}
