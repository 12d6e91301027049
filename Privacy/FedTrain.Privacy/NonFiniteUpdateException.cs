namespace FedTrain.Privacy;

/// <summary>An update holds a NaN or infinite element: it has no norm, so it cannot be clipped and must be refused.</summary>
public sealed class NonFiniteUpdateException : ArgumentException
{
    public NonFiniteUpdateException(long index)
        : base($"The update has a NaN or infinite element at parameter {index}; it cannot be clipped.", "update") => Index = index;

    public NonFiniteUpdateException()
    {
    }

    public NonFiniteUpdateException(string message)
        : base(message)
    {
    }

    public NonFiniteUpdateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The first parameter that is not finite (-1 when unknown).</summary>
    public long Index { get; } = -1;
}
