using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Hosting;

/// <summary>
/// The logger factory the coordinator's web host logs through: Grpc.AspNetCore's own categories (<c>Grpc.*</c>) from
/// Warning up. At Information it logs every non-OK status with its detail ("Error status code ... raised"), a second
/// line for each refusal the coordinator already logs itself, and one that names clients, which under DP no log may
/// do (the coordinator's own client events are withheld there). Kept in the host, not in a command's log settings, so
/// that every embedding of the coordinator gets it. The cluster's silo logs through it too, with Orleans' categories
/// (<c>Orleans.*</c>) added: at Information they narrate every membership and directory step.
/// </summary>
/// <param name="inner">The factory the lines go to; the caller owns it.</param>
/// <param name="quietPrefixes">Categories kept from Warning up; Grpc.AspNetCore's when none are given.</param>
internal sealed class TransportLogFilter(ILoggerFactory inner, params string[] quietPrefixes) : ILoggerFactory
{
    private readonly string[] _quietPrefixes = quietPrefixes.Length == 0 ? ["Grpc."] : quietPrefixes;

    /// <summary>Orleans' start-up note that the server GC is off: it is, on purpose (see the command line's project file).</summary>
    private static readonly EventId ServerGcNote = new(100405);

    /// <summary>When the first coordinator logger factory was made: early in the process, before any silo starts.</summary>
    private static readonly long Created = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Orleans' watchdog warning that its component check thread stalled for a given time.</summary>
    private static readonly EventId ComponentCheckStalled = new(100150);

    public ILogger CreateLogger(string categoryName) =>
        _quietPrefixes.Any(prefix => categoryName.StartsWith(prefix, StringComparison.Ordinal))
            ? new WarningsAndAbove(inner.CreateLogger(categoryName))
            : inner.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>The caller owns the inner factory; the host must not dispose it.</summary>
    public void Dispose()
    {
    }

    private sealed class WarningsAndAbove(ILogger inner) : ILogger
    {
        /// <summary>
        /// Orleans' watchdog can read its component stopwatch before starting it, once, as the silo starts, and then
        /// reports a "stall" as long as the machine's uptime. A stall longer than the coordinator has been logging is
        /// that race, not a stall; real ones are still logged.
        /// </summary>
        private static bool IsStartupRaceStall<TState>(EventId eventId, TState state) =>
            eventId.Id == ComponentCheckStalled.Id
            && state is IReadOnlyList<KeyValuePair<string, object?>> values
            && values.Any(v => v.Value is TimeSpan stalled && stalled > System.Diagnostics.Stopwatch.GetElapsedTime(Created));

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel) && eventId.Id != ServerGcNote.Id && !IsStartupRaceStall(eventId, state))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
