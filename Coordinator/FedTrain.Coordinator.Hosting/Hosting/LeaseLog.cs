using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Hosting;

/// <summary>What the coordinator says about the run's lease (see <see cref="Storage.RelationalCoordinatorStore"/>).</summary>
internal static partial class LeaseLog
{
    [LoggerMessage(EventId = 651, Level = LogLevel.Information, Message = "Took the run's lease at epoch {Epoch}: a coordinator that held it before can write nothing more")]
    public static partial void Taken(ILogger logger, long epoch);
}
