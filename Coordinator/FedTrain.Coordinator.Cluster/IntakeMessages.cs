using FedTrain.Coordinator.Intake;
using FedTrain.Coordinator.Rounds;
using FedTrain.Coordinator.Storage;
using FedTrain.Core.Compression;
using FedTrain.Core.Models;

namespace FedTrain.Coordinator.Cluster;

/// <summary>
/// The grain calls' forms of the intake's round-logic types (<see cref="IntakeTicket"/>, <see cref="KeptUpdate"/>,
/// <see cref="PartialSum"/>): small records Orleans serialises, so the round logic carries no Orleans attributes.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record IntakeTicketMessage(
    [property: Id(0)] string RunId,
    [property: Id(1)] long Round,
    [property: Id(2)] long ModelVersion,
    [property: Id(3)] long ParameterCount,
    [property: Id(4)] int Encoding,
    [property: Id(5)] double TopKFraction,
    [property: Id(6)] IReadOnlyList<TensorShapeMessage> Tensors,
    [property: Id(7)] IReadOnlyList<IntakeClientMessage> Clients,
    [property: Id(8)] bool SumsPartials,
    [property: Id(9)] string RoundKey,
    [property: Id(10)] string ModelSha256,
    [property: Id(11)] string? ModelCheckpoint,
    [property: Id(12)] double? ClipNorm)
{
    public static IntakeTicketMessage From(IntakeTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        return new(
            ticket.RunId, ticket.Round, ticket.ModelVersion, ticket.ParameterCount, (int)ticket.Encoding, ticket.TopKFraction,
            ticket.Manifest.Tensors.Select(t => new TensorShapeMessage(t.Name, t.Shape.ToArray())).ToList(),
            ticket.Clients.Select(c => new IntakeClientMessage(c.ClientId, c.WorkerId, c.ExampleCount)).ToList(),
            ticket.SumsPartials, ticket.RoundKey, ticket.ModelSha256, ticket.ModelCheckpoint, ticket.ClipNorm);
    }

    public IntakeTicket ToTicket()
    {
        long offset = 0;
        var tensors = new List<TensorInfo>(Tensors.Count);
        foreach (var tensor in Tensors)
        {
            var info = new TensorInfo(tensor.Name, tensor.Shape, offset);
            tensors.Add(info);
            offset += info.Length;
        }

        return new IntakeTicket(
            RunId, Round, RoundKey, ModelVersion, ParameterCount, (UpdateEncoding)Encoding, TopKFraction, new ParameterManifest(tensors),
            Clients.Select(c => new IntakeClient(c.ClientId, c.WorkerId, c.ExampleCount)).ToList(), ModelSha256, ModelCheckpoint, SumsPartials, ClipNorm);
    }
}

/// <summary>A tensor's name and shape, in a ticket.</summary>
[GenerateSerializer]
[Immutable]
public sealed record TensorShapeMessage([property: Id(0)] string Name, [property: Id(1)] long[] Shape);

/// <summary>A selected client, in a ticket.</summary>
[GenerateSerializer]
[Immutable]
public sealed record IntakeClientMessage([property: Id(0)] string ClientId, [property: Id(1)] string WorkerId, [property: Id(2)] long ExampleCount);

/// <summary>An update a node kept in the shared spool, for the leader to count.</summary>
[GenerateSerializer]
[Immutable]
public sealed record KeptUpdateMessage(
    [property: Id(0)] long Round,
    [property: Id(1)] long ModelVersion,
    [property: Id(2)] string ClientId,
    [property: Id(3)] string WorkerId,
    [property: Id(4)] long ExampleCount,
    [property: Id(5)] string FileName)
{
    public static KeptUpdateMessage From(KeptUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new(update.Round, update.ModelVersion, update.ClientId, update.WorkerId, update.ExampleCount, update.FileName);
    }

    public KeptUpdate ToUpdate() => new(Round, ModelVersion, ClientId, WorkerId, ExampleCount, FileName);
}

/// <summary>The leader's answer to a kept update: counted, or refused with the kind and reason a worker is told.</summary>
[GenerateSerializer]
[Immutable]
public sealed record IntakeRecordOutcome([property: Id(0)] int? RefusedAs, [property: Id(1)] string Reason)
{
    public static IntakeRecordOutcome Counted { get; } = new(null, string.Empty);

    public static IntakeRecordOutcome Refused(UpdateRejectedException rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        return new((int)rejection.Kind, rejection.Message);
    }
}

/// <summary>A node's partial sum of a round, as it answers the leader.</summary>
[GenerateSerializer]
[Immutable]
public sealed record PartialSumMessage(
    [property: Id(0)] string Node,
    [property: Id(1)] long Round,
    [property: Id(2)] IReadOnlyList<string> Clients,
    [property: Id(3)] double TotalWeight,
    [property: Id(4)] string Path,
    [property: Id(5)] double? ClipNorm,
    [property: Id(6)] int UnclippedCount)
{
    public static PartialSumMessage From(PartialSum sum)
    {
        ArgumentNullException.ThrowIfNull(sum);
        return new(sum.Node, sum.Round, sum.Clients, sum.TotalWeight, sum.Path, sum.ClipNorm, sum.UnclippedCount);
    }

    public PartialSum ToSum() => new(Node, Round, Clients, TotalWeight, Path, ClipNorm, UnclippedCount);
}

/// <summary>
/// A node that receives uploads, as it introduces itself to the leader with every keep-alive: its name, the address
/// workers upload to, and the object the leader asks for the node's partial sums.
/// </summary>
[GenerateSerializer]
[Immutable]
public sealed record IntakeAdvert([property: Id(0)] string Node, [property: Id(1)] string Endpoint, [property: Id(2)] IIntakeNodeObserver Observer);
