using Microsoft.Extensions.Logging;

namespace FedTrain.Cli.Commands;

/// <summary>What a worker read from its <c>--data</c>, logged once before it registers.</summary>
internal static partial class DataLog
{
    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Data {Path}: {Format}, {Examples} examples of {Classes} classes, {Skipped} files skipped, {Residence}")]
    public static partial void Loaded(ILogger logger, string path, string format, int examples, int classes, int skipped, string residence);
}
