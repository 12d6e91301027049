using FedTrain.Core.Models;
using FedTrain.Protos.V1;

namespace FedTrain.Worker;

/// <summary>Converts assignment messages into the worker's own types, validating them on the way.</summary>
internal static class ModelMapping
{
    public static Core.Models.ModelSpec ToSpec(Protos.V1.ModelSpec proto)
    {
        var spec = new Core.Models.ModelSpec(
            proto.Kind, proto.Channels, proto.Height, proto.Width, proto.Classes, proto.ConvChannels.ToArray(), proto.Hidden)
        {
            ModuleSha256 = proto.ModuleSha256.Length > 0 ? proto.ModuleSha256 : null,
            Patch = proto.Patch,
            Dim = proto.Dim,
            Depth = proto.Depth,
            Heads = proto.Heads,
            Mlp = proto.Mlp,
            Seq = proto.Seq,
        };
        spec.Validate();
        return spec;
    }

    /// <summary>How the round wants updates encoded.</summary>
    /// <exception cref="Protos.Payloads.PayloadException">An encoding this worker does not know (a newer coordinator's).</exception>
    public static Core.Compression.UpdateEncoding ToEncoding(TrainingHyperparameters proto) =>
        Protos.Payloads.PayloadEncodings.ToCore(proto.UpdateEncoding);

    public static TrainingConfig ToConfig(TrainingHyperparameters proto)
    {
        var config = new TrainingConfig(
            proto.LocalEpochs, proto.LocalSteps, proto.BatchSize, proto.LearningRate, proto.Optimizer, proto.Momentum,
            proto.WeightDecay, proto.Seed)
        {
            ProximalMu = proto.ProximalMu,
        };
        config.Validate();
        return config;
    }
}
