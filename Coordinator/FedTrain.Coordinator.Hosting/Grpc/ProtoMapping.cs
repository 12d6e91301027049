using FedTrain.Core.Models;
using FedTrain.Protos.V1;

namespace FedTrain.Coordinator.Grpc;

/// <summary>Converts between the coordinator's own types and the wire messages, at the gRPC edge only.</summary>
internal static class ProtoMapping
{
    public static Protos.V1.ModelSpec ToProto(Core.Models.ModelSpec spec)
    {
        var proto = new Protos.V1.ModelSpec
        {
            Kind = spec.Kind,
            Channels = spec.Channels,
            Height = spec.Height,
            Width = spec.Width,
            Classes = spec.Classes,
            Hidden = spec.Hidden,
            ModuleSha256 = spec.ModuleSha256 ?? string.Empty,
            Patch = spec.Patch,
            Dim = spec.Dim,
            Depth = spec.Depth,
            Heads = spec.Heads,
            Mlp = spec.Mlp,
            Seq = spec.Seq,
        };
        proto.ConvChannels.AddRange(spec.ConvChannels ?? []);
        return proto;
    }

    /// <summary>Tells the workers how to encode their updates this round.</summary>
    public static TrainingHyperparameters WithEncoding(TrainingHyperparameters training, Core.Compression.UpdateEncoding encoding, double topKFraction = 0)
    {
        training.UpdateEncoding = Protos.Payloads.PayloadEncodings.ToProto(encoding);
        training.UpdateTopkFraction = encoding == Core.Compression.UpdateEncoding.TopK ? topKFraction : 0;
        return training;
    }

    /// <param name="config">The run's training configuration.</param>
    /// <param name="roundSeed">This round's seed.</param>
    /// <param name="strategyProximalMu">The strategy's μ (fedprox); when positive it replaces the configured one.</param>
    public static TrainingHyperparameters ToProto(TrainingConfig config, ulong roundSeed, double strategyProximalMu = 0) => new()
    {
        LocalEpochs = config.LocalEpochs,
        LocalSteps = config.LocalSteps,
        BatchSize = config.BatchSize,
        LearningRate = config.LearningRate,
        Optimizer = config.Optimizer,
        Momentum = config.Momentum,
        WeightDecay = config.WeightDecay,
        Seed = roundSeed,
        ProximalMu = strategyProximalMu > 0 ? (float)strategyProximalMu : config.ProximalMu,
    };
}
