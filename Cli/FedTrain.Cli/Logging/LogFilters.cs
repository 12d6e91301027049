using Microsoft.Extensions.Logging;

namespace FedTrain.Cli.Logging;

/// <summary>The log levels every FedTrain process starts from.</summary>
public static class LogFilters
{
    /// <summary>
    /// Keeps ASP.NET Core's per-request lines (two for every heartbeat and poll) out of the log, where they drown
    /// the round events an operator reads; its warnings and errors still show.
    /// </summary>
    public static ILoggingBuilder AddFedTrainDefaults(this ILoggingBuilder builder) =>
        builder.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
}
