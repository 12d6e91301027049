using System.Globalization;

namespace FedTrain.Core.Models;

/// <summary>
/// What network to build: the model zoo's kind plus its shape parameters. Serialised to a compact
/// <c>key=value;...</c> string for the native trainer so the C ABI needs no JSON parser.
/// </summary>
/// <param name="Kind">Model family: <c>cnn</c>, or <c>torchscript</c> (see <see cref="Module"/>).</param>
/// <param name="Channels">Input channels (1 for Fashion-MNIST).</param>
/// <param name="Height">Input height in pixels.</param>
/// <param name="Width">Input width in pixels.</param>
/// <param name="Classes">Number of output classes.</param>
/// <param name="ConvChannels">Output channels of each 3×3 conv block (each block halves the spatial size).</param>
/// <param name="Hidden">Width of the fully connected hidden layer; 0 for none.</param>
public sealed partial record ModelSpec(
    string Kind,
    int Channels,
    int Height,
    int Width,
    int Classes,
    IReadOnlyList<int> ConvChannels,
    int Hidden)
{
    /// <summary>The default CNN for 28×28 grey images: two conv blocks (32, 64) and a 128-wide hidden layer.</summary>
    public static ModelSpec FashionMnistCnn { get; } = new("cnn", 1, 28, 28, 10, [32, 64], 128);

    /// <summary>Checks the spec fits its input and throws <see cref="ArgumentException"/> naming the bad field.</summary>
    public void Validate()
    {
        if (Kind == TorchScriptKind)
        {
            ValidateTorchScript();
            return;
        }

        if (Kind != "cnn")
        {
            throw new ArgumentException($"Unknown model kind '{Kind}'; known kinds: cnn, {TorchScriptKind}.", nameof(Kind));
        }

        if (Channels <= 0 || Height <= 0 || Width <= 0)
        {
            throw new ArgumentException($"Input shape {Channels}x{Height}x{Width} must be positive.", nameof(Channels));
        }

        if (Classes < 2)
        {
            throw new ArgumentException($"A classifier needs at least 2 classes, got {Classes}.", nameof(Classes));
        }

        if (ConvChannels.Count == 0 || ConvChannels.Any(c => c <= 0))
        {
            throw new ArgumentException("Conv channels must be a non-empty list of positive widths.", nameof(ConvChannels));
        }

        int side = Math.Min(Height, Width) >> ConvChannels.Count;
        if (side < 1)
        {
            throw new ArgumentException(
                $"{ConvChannels.Count} pooling conv blocks shrink a {Height}x{Width} input below one pixel.", nameof(ConvChannels));
        }

        if (Hidden < 0)
        {
            throw new ArgumentException($"Hidden width must be >= 0, got {Hidden}.", nameof(Hidden));
        }
    }

    /// <summary>The native trainer's spec string, e.g. <c>kind=cnn;in=1,28,28;classes=10;conv=32,64;hidden=128</c>.</summary>
    public string ToNativeSpec() => Kind == TorchScriptKind ? TorchScriptNativeSpec() : string.Create(
        CultureInfo.InvariantCulture,
        $"kind={Kind};in={Channels},{Height},{Width};classes={Classes};conv={string.Join(',', ConvChannels)};hidden={Hidden}");
}
