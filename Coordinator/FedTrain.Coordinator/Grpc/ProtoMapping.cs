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
        };
        proto.ConvChannels.AddRange(spec.ConvChannels);
        return proto;
    }

    public static TrainingHyperparameters ToProto(TrainingConfig config, ulong roundSeed) => new()
    {
        LocalEpochs = config.LocalEpochs,
        LocalSteps = config.LocalSteps,
        BatchSize = config.BatchSize,
        LearningRate = config.LearningRate,
        Optimizer = config.Optimizer,
        Momentum = config.Momentum,
        WeightDecay = config.WeightDecay,
        Seed = roundSeed,
    };
}
