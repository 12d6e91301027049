using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Telemetry;

/// <summary>
/// A logger that drops the events whose ids are listed, at every level, and passes the rest on. Under DP it keeps the
/// events that name a client or carry its figures out of every log sink.
/// </summary>
public sealed class WithheldEventsLogger<T>(ILogger<T> inner, IReadOnlySet<int> withheld) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!withheld.Contains(eventId.Id))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
