namespace FedTrain.Core.Data.Formats;

/// <summary>
/// Data that does not meet the run's data contract. The message names the file and, where it applies, the row, the
/// column or the class, so the data owner can fix it; nothing is trained on data that raised it.
/// </summary>
public sealed class DataValidationException : Exception
{
    public DataValidationException()
    {
    }

    public DataValidationException(string message)
        : base(message)
    {
    }

    public DataValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
