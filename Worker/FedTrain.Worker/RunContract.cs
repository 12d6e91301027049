using FedTrain.Core.Data.Formats;
using FedTrain.Protos;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace FedTrain.Worker;

/// <summary>
/// The run's data contract as the coordinator serves it (<c>GetRunSpec</c>): the model, its class names, a table's
/// feature names and the image normalisation. A worker fetches it before it loads its data, so that data which does not fit the run is
/// refused, named, before the worker registers, without the owner repeating the run's settings.
/// </summary>
public static partial class RunContract
{
    /// <summary>
    /// Whether a worker reading <paramref name="format"/> needs the run's contract to read its data: tables, image
    /// folders and arrays are interpreted by it (feature count, input size, class names); IDX and text carry their
    /// own layout, and the model each assignment carries is checked when training starts.
    /// </summary>
    public static bool Interprets(DataFormat format) => format is not (DataFormat.Idx or DataFormat.Text);

    /// <summary>Asks the coordinator for the run's contract, retrying while it is unreachable.</summary>
    /// <returns>The contract, or <see cref="DataContract.None"/> from a coordinator that does not serve one.</returns>
    public static async Task<DataContract> FetchAsync(
        WorkerOptions options, GrpcChannelOptions channelOptions, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        using var channel = CoordinatorChannel.Open(options.Coordinators, channelOptions);
        var retry = ReconnectPolicy.Create(options.ReconnectTimeout, (ex, delay) => LogRetrying(logger, ex.Message, delay.TotalSeconds));
        try
        {
            var spec = await retry.ExecuteAsync(
                async token => await channel.UnaryAsync(
                    CoordinatorMethods.GetRunSpec,
                    new RunSpecRequest { WorkerId = options.WorkerId },
                    new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: token)).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            var contract = ToContract(spec);
            LogFetched(
                logger, spec.RunId, contract.Model!.ToNativeSpec(), contract.ClassNames is { } names ? string.Join(",", names) : "(unnamed)",
                contract.FeatureNames is { } features ? string.Join(",", features) : "(unnamed)");
            return contract;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
        {
            LogNotServed(logger);
            return DataContract.None;
        }
    }

    /// <summary>The contract a <see cref="RunSpec"/> describes.</summary>
    public static DataContract ToContract(RunSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var model = ModelMapping.ToSpec(spec.Model ?? throw new InvalidOperationException("The coordinator's run spec names no model."));
        var contract = new DataContract(model, spec.Model.ClassNames.Count > 0 ? [.. spec.Model.ClassNames] : null)
        {
            Normalization = spec.NormalizeMean.Count > 0 ? new ImageNormalization([.. spec.NormalizeMean], [.. spec.NormalizeStd]) : null,
            FeatureNames = spec.Model.FeatureNames.Count > 0 ? [.. spec.Model.FeatureNames] : null,
        };
        contract.Validate();
        return contract;
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Information, Message = "Run {RunId}: the data is checked against its model {Model}, classes {Classes} and features {Features}")]
    private static partial void LogFetched(ILogger logger, string runId, string model, string classes, string features);

    [LoggerMessage(EventId = 331, Level = LogLevel.Warning, Message = "The coordinator serves no run spec (an older version): the data is checked on its own; pass --model and --classes to check it against the run")]
    private static partial void LogNotServed(ILogger logger);

    [LoggerMessage(EventId = 332, Level = LogLevel.Information, Message = "Coordinator unreachable for the run spec ({Reason}); retrying in {Seconds:F1} s")]
    private static partial void LogRetrying(ILogger logger, string reason, double seconds);
}
