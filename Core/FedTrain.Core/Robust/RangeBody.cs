namespace FedTrain.Core.Robust;

/// <summary>
/// Work on one range [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>): row r of the
/// range (the r-th requested update) is <c>rows[(r × count)..((r + 1) × count)]</c>; <paramref name="output"/> is
/// the destination's slice for the range, or empty when the rule writes no vector.
/// </summary>
internal delegate void RangeBody(int rangeIndex, long start, int count, float[] rows, Span<float> output);
