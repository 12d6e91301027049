using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Tests.Security;

/// <summary>Keeps every formatted log line written through the loggers it creates.</summary>
internal sealed class LogLines : ILoggerProvider
{
    private readonly List<string> _lines = [];
    private readonly ILoggerFactory _factory;

    public LogLines() => _factory = LoggerFactory.Create(builder => builder.AddProvider(this).SetMinimumLevel(LogLevel.Debug));

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public ILogger<T> CreateLogger<T>() => _factory.CreateLogger<T>();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogLines owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._lines)
            {
                owner._lines.Add(formatter(state, exception));
            }
        }
    }
}
