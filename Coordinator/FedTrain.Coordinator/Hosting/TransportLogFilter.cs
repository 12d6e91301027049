using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Hosting;

/// <summary>
/// The logger factory the coordinator's web host logs through: Grpc.AspNetCore's own categories (<c>Grpc.*</c>) from
/// Warning up. At Information it logs every non-OK status with its detail ("Error status code ... raised"), a second
/// line for each refusal the coordinator already logs itself, and one that names clients, which under DP no log may
/// do (the coordinator's own client events are withheld there). Kept in the host, not in a command's log settings, so
/// that every embedding of the coordinator gets it.
/// </summary>
internal sealed class TransportLogFilter(ILoggerFactory inner) : ILoggerFactory
{
    private const string TransportPrefix = "Grpc.";

    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith(TransportPrefix, StringComparison.Ordinal)
            ? new WarningsAndAbove(inner.CreateLogger(categoryName))
            : inner.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>The caller owns the inner factory; the host must not dispose it.</summary>
    public void Dispose()
    {
    }

    private sealed class WarningsAndAbove(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
