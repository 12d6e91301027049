using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Hosting;

/// <summary>What the coordinator says about its run directory at start.</summary>
internal static partial class RunDirectoryLog
{
    [LoggerMessage(EventId = 650, Level = LogLevel.Warning, Message = "The run directory {Directory} could not be made private (mode 0700): it is not this account's. The files the coordinator writes in it are still mode 0600.")]
    public static partial void NotPrivate(ILogger logger, string directory);
}
