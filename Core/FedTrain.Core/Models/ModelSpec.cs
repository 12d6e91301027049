using System.Globalization;

namespace FedTrain.Core.Models;

/// <summary>
/// What network to build: the model zoo's kind plus its shape parameters. Serialised to a compact
/// <c>key=value;...</c> string for the native trainer so the C ABI needs no JSON parser.
/// </summary>
/// <param name="Kind">Model family: <c>cnn</c>, <c>vit</c> (Vision Transformer), <c>mlp</c> (tabular rows),
/// <c>lm</c> (causal Transformer language model) or <c>torchscript</c> (a module exported from PyTorch, see <see cref="Module"/>).</param>
/// <param name="Channels">Input channels (1 for Fashion-MNIST); not used by <c>lm</c>; 1 for <c>mlp</c>.</param>
/// <param name="Height">Input height in pixels; not used by <c>lm</c>; 1 for <c>mlp</c>.</param>
/// <param name="Width">Input width in pixels; not used by <c>lm</c>; the number of features for <c>mlp</c>.</param>
/// <param name="Classes">Number of output classes; for <c>lm</c> the vocabulary (256 for bytes).</param>
/// <param name="ConvChannels">CNN: output channels of each 3×3 conv block (each block halves the spatial size). MLP: the
/// widths of its hidden layers (see <see cref="HiddenLayers"/>): the wire message's one list of widths carries both.</param>
/// <param name="Hidden">CNN only: width of the fully connected hidden layer; 0 for none.</param>
public sealed partial record ModelSpec(
    string Kind,
    int Channels,
    int Height,
    int Width,
    int Classes,
    IReadOnlyList<int>? ConvChannels,
    int Hidden)
{
    /// <summary>ViT only: side of the square, non-overlapping patches; must divide the image.</summary>
    public int Patch { get; init; }

    /// <summary>Transformers: token width; must be divisible by <see cref="Heads"/>.</summary>
    public int Dim { get; init; }

    /// <summary>Transformers: encoder blocks.</summary>
    public int Depth { get; init; }

    /// <summary>Transformers: attention heads per block.</summary>
    public int Heads { get; init; }

    /// <summary>Transformers: hidden width of each block's MLP.</summary>
    public int Mlp { get; init; }

    /// <summary>LM only: context length in tokens; each example is a window of <c>Seq + 1</c> bytes.</summary>
    public int Seq { get; init; }

    /// <summary>The default CNN for 28×28 grey images: two conv blocks (32, 64) and a 128-wide hidden layer.</summary>
    public static ModelSpec FashionMnistCnn { get; } = new("cnn", 1, 28, 28, 10, [32, 64], 128);

    /// <summary>
    /// A ViT small enough to train on two CPU cores: 4×4 patches of 7×7 pixels (17 tokens with the class token),
    /// width 64, 2 blocks of 4 heads, MLP 128; about 72k parameters.
    /// </summary>
    public static ModelSpec FashionMnistVit { get; } = new("vit", 1, 28, 28, 10, [], 0) { Patch = 7, Dim = 64, Depth = 2, Heads = 4, Mlp = 128 };

    /// <summary>A byte-level causal LM: 64-byte context, width 64, 2 blocks of 4 heads, MLP 256; about 137k parameters.</summary>
    public static ModelSpec ByteLm { get; } = new("lm", 0, 0, 0, 256, [], 0) { Seq = 64, Dim = 64, Depth = 2, Heads = 4, Mlp = 256 };

    /// <summary>
    /// A tabular classifier: rows of <paramref name="features"/> standardised values, two hidden layers of 64, and
    /// <paramref name="classes"/> outputs.
    /// </summary>
    public static ModelSpec TabularMlp(int features, int classes) => new("mlp", 1, 1, features, classes, [64, 64], 0);

    /// <summary>MLP only: the widths of the hidden layers (none is softmax regression).</summary>
    public IReadOnlyList<int> HiddenLayers => Kind == "mlp" ? ConvChannels ?? [] : [];

    /// <summary>True for the tabular model, whose examples are rows of standardised features.</summary>
    public bool IsTabular => Kind == "mlp";

    /// <summary>Known kinds, for messages.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["cnn", "vit", "lm", "mlp"];

    /// <summary>
    /// The zoo's default model of a kind (<c>cnn</c>, <c>vit</c>, <c>lm</c>; <c>mlp</c>'s preset has 1 feature and 2
    /// classes: its data sets <c>in</c> and <c>classes</c>).
    /// </summary>
    public static ModelSpec Preset(string kind) => kind switch
    {
        "cnn" => FashionMnistCnn,
        "vit" => FashionMnistVit,
        "lm" => ByteLm,
        "mlp" => TabularMlp(1, 2),
        _ => throw new ArgumentException($"Unknown model kind '{kind}'; known kinds: {string.Join(", ", Kinds)}.", nameof(kind)),
    };

    /// <summary>Shape of one example as the trainer sees it; a language model's example is 1×1×(seq+1) byte ids.</summary>
    public (int Channels, int Height, int Width) InputShape => Kind == "lm" ? (1, 1, Seq + 1) : (Channels, Height, Width);

    /// <summary>True for models that predict the next token and report perplexity.</summary>
    public bool IsLanguageModel => Kind == "lm";

    /// <summary>
    /// Value equality over every member, the lists by their elements. A record's generated equality would compare
    /// <see cref="ConvChannels"/> by reference, so a spec read afresh from each round's assignment never equalled the
    /// last one, and a worker rebuilt (and randomly initialised) its network every round.
    /// </summary>
    public bool Equals(ModelSpec? other) =>
        other is not null
        && Kind == other.Kind && Channels == other.Channels && Height == other.Height && Width == other.Width
        && Classes == other.Classes && Hidden == other.Hidden
        && (ConvChannels ?? []).SequenceEqual(other.ConvChannels ?? [])
        && Patch == other.Patch && Dim == other.Dim && Depth == other.Depth && Heads == other.Heads && Mlp == other.Mlp
        && Seq == other.Seq && Module == other.Module && ModuleSha256 == other.ModuleSha256;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Kind);
        hash.Add(Channels);
        hash.Add(Height);
        hash.Add(Width);
        hash.Add(Classes);
        hash.Add(Hidden);
        foreach (int channels in ConvChannels ?? [])
        {
            hash.Add(channels);
        }

        hash.Add(Patch);
        hash.Add(Dim);
        hash.Add(Depth);
        hash.Add(Heads);
        hash.Add(Mlp);
        hash.Add(Seq);
        hash.Add(Module);
        hash.Add(ModuleSha256);
        return hash.ToHashCode();
    }

    /// <summary>Checks the spec fits together and throws <see cref="ArgumentException"/> naming the bad field.</summary>
    public void Validate() => ModelSpecValidator.Validate(this);

    /// <summary>
    /// The native trainer's spec string, e.g. <c>kind=cnn;in=1,28,28;classes=10;conv=32,64;hidden=128</c> or
    /// <c>kind=vit;in=1,28,28;classes=10;patch=7;dim=64;depth=2;heads=4;mlp=128</c>.
    /// </summary>
    public string ToNativeSpec() => Kind switch
    {
        TorchScriptKind => TorchScriptNativeSpec(),
        "vit" => string.Create(
            CultureInfo.InvariantCulture,
            $"kind=vit;in={Channels},{Height},{Width};classes={Classes};patch={Patch};dim={Dim};depth={Depth};heads={Heads};mlp={Mlp}"),
        "mlp" => string.Create(
            CultureInfo.InvariantCulture,
            $"kind=mlp;in={Width};classes={Classes}{(HiddenLayers.Count > 0 ? ";hidden=" + string.Join(',', HiddenLayers) : string.Empty)}"),
        "lm" => string.Create(
            CultureInfo.InvariantCulture, $"kind=lm;vocab={Classes};seq={Seq};dim={Dim};depth={Depth};heads={Heads};mlp={Mlp}"),
        _ => string.Create(
            CultureInfo.InvariantCulture,
            $"kind={Kind};in={Channels},{Height},{Width};classes={Classes};conv={string.Join(',', ConvChannels ?? [])};hidden={Hidden}"),
    };

    /// <summary>Reads the native spec string form back (see <see cref="ModelSpecParser"/>), validated.</summary>
    public static ModelSpec Parse(string text) => ModelSpecParser.Parse(text);
}
