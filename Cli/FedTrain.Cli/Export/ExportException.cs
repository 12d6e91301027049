namespace FedTrain.Cli.Export;

/// <summary>An export that cannot be done as asked (no such run or round, unreadable checkpoint); the message says why.</summary>
internal sealed class ExportException : Exception
{
    public ExportException()
    {
    }

    public ExportException(string message)
        : base(message)
    {
    }

    public ExportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
