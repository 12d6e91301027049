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

    /// <summary>Top-k's m, the values each block keeps, for an update of <paramref name="parameterCount"/> values; 0 for the other encodings.</summary>
    /// <exception cref="InvalidOperationException">The round asks for top-k with a fraction outside (0, 1].</exception>
    public static int ToTopKKeptPerBlock(TrainingHyperparameters proto, long parameterCount)
    {
        if (proto.UpdateEncoding != PayloadEncoding.Topk || parameterCount == 0)
        {
            return 0;
        }

        return proto.UpdateTopkFraction is > 0 and <= 1
            ? Core.Compression.EncodedLayout.TopKKeptPerBlock(parameterCount, proto.UpdateTopkFraction)
            : throw new InvalidOperationException($"The round asks for top-k updates keeping a fraction {proto.UpdateTopkFraction} of the values; it must be in (0, 1].");
    }

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
