using System.Globalization;

namespace FedTrain.Core.Robust;

/// <summary>
/// A simulated Byzantine client for tests and demos: rewrites an honest delta in place. Parse one from a spec:
/// <list type="bullet">
/// <item><c>sign-flip</c> or <c>sign-flip:K</c>: Δ → −K·Δ (K = 1 by default).</item>
/// <item><c>scale:K</c>: Δ → K·Δ (a boosted update, as in model-replacement backdoors).</item>
/// <item><c>gaussian</c> or <c>gaussian:σ</c>: Δ replaced by N(0, σ²) noise (σ = 1 by default), reproducible from the seed.</item>
/// <item><c>same-value</c> or <c>same-value:c</c>: every coordinate set to c (c = 1 by default).</item>
/// </list>
/// </summary>
public abstract class ByzantineAttack
{
    private static readonly string[] KnownNames = ["sign-flip", "scale", "gaussian", "same-value"];

    /// <summary>The attacks <see cref="Parse"/> accepts.</summary>
    public static IReadOnlyList<string> Names => KnownNames;

    /// <summary>The canonical spec, which <see cref="Parse"/> maps back to an equal attack.</summary>
    public abstract string Spec { get; }

    /// <summary>Rewrites <paramref name="delta"/> in place; <paramref name="seed"/> drives any randomness, so the same
    /// seed gives the same result.</summary>
    public abstract void Apply(Span<float> delta, ulong seed);

    public override string ToString() => Spec;

    /// <summary>Parses <c>name</c> or <c>name:value</c> (names are case-insensitive, values invariant-culture numbers).</summary>
    /// <exception cref="ArgumentException">Unknown name, or a missing or invalid value.</exception>
    public static ByzantineAttack Parse(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        string text = spec.Trim();
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string name = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        double? value = colon < 0 ? null : ParseValue(text[(colon + 1)..], spec);
        return name switch
        {
            "sign-flip" => new SignFlipAttack(value ?? 1.0),
            "scale" => new ScaleAttack(value ?? throw new ArgumentException($"'{spec}': scale needs a factor, as in 'scale:10'.", nameof(spec))),
            "gaussian" => new GaussianAttack(Positive(value ?? 1.0, spec)),
            "same-value" => new SameValueAttack(value ?? 1.0),
            _ => throw new ArgumentException($"Unknown attack '{name}' in '{spec}'; known: {string.Join(", ", KnownNames)}.", nameof(spec)),
        };
    }

    internal static string Format(string name, double value) => $"{name}:{value.ToString("R", CultureInfo.InvariantCulture)}";

    private static double ParseValue(string text, string spec)
    {
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new ArgumentException($"'{spec}': '{text.Trim()}' is not a finite number.", nameof(spec));
        }

        return value;
    }

    private static double Positive(double value, string spec) =>
        value > 0 ? value : throw new ArgumentException($"'{spec}': σ must be positive.", nameof(spec));
}
