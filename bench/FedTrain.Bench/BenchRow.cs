namespace FedTrain.Bench;

/// <summary>
/// One measured figure beside its reference, measured in the same run. <see cref="Ratio"/> is oriented so that
/// higher is better: value / reference for throughputs, reference / value for times.
/// </summary>
public sealed record BenchRow(
    string Suite,
    string Case,
    double Value,
    string Unit,
    double Reference,
    string ReferenceUnit,
    double Ratio)
{
    /// <summary>A row for a throughput-like figure (higher is better): ratio = value / reference.</summary>
    public static BenchRow HigherIsBetter(string suite, string @case, double value, string unit, double reference, string referenceUnit) =>
        new(suite, @case, value, unit, reference, referenceUnit, reference > 0 ? value / reference : double.NaN);

    /// <summary>A row for a time- or size-like figure (lower is better): ratio = reference / value.</summary>
    public static BenchRow LowerIsBetter(string suite, string @case, double value, string unit, double reference, string referenceUnit) =>
        new(suite, @case, value, unit, reference, referenceUnit, value > 0 ? reference / value : double.NaN);
}
