using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Security;

/// <summary>A hand-made worker with its own credential.</summary>
internal sealed class HandMadeWorker(SecureCoordinator coordinator, string workerId, string credential)
{
    public GrpcChannel Channel { get; } = GrpcChannel.ForAddress(coordinator.Address);

    public CallOptions Auth { get; } = new(SecureCoordinator.Bearer(credential), DateTime.UtcNow.AddSeconds(60));

    /// <summary>Registers the named clients (none: the worker as its one client), 10 examples each.</summary>
    public async Task RegisterAsync(params string[] clients)
    {
        var request = new RegisterRequest { WorkerId = workerId, Data = Summary(10L * Math.Max(1, clients.Length)) };
        request.Clients.AddRange(clients.Select(c => new ClientData { ClientId = c, Data = Summary(10) }));
        await Channel.UnaryAsync(CoordinatorMethods.Register, request, Auth);
    }

    public async Task<RoundAssignment> AssignmentAsync()
    {
        var response = await Channel.UnaryAsync(CoordinatorMethods.GetAssignment, new AssignmentRequest { WorkerId = workerId, WaitSeconds = 30 }, Auth);
        Assert.Equal(AssignmentResponse.OutcomeOneofCase.Assignment, response.OutcomeCase);
        return response.Assignment;
    }

    public Task<UploadAck> UploadAsync(RoundAssignment assignment, string clientId, float[] delta)
    {
        var header = new UploadHeader
        {
            WorkerId = workerId,
            ClientId = clientId,
            RunId = assignment.RunId,
            Round = assignment.Round,
            ModelVersion = assignment.ModelVersion,
            ExampleCount = 10,
            Payload = PayloadCodec.CreateHeader(delta, delta.LongLength, 1 << 20),
        };
        return Channel.ClientStreamingAsync(CoordinatorMethods.UploadUpdate, Chunks(header, delta), Auth);
    }

    private static DataSummary Summary(long examples)
    {
        var summary = new DataSummary { ExampleCount = examples };
        summary.LabelHistogram.Add(examples);
        return summary;
    }

    private static async IAsyncEnumerable<UpdateChunk> Chunks(UploadHeader header, float[] delta)
    {
        yield return new UpdateChunk { Header = header };
        foreach (var chunk in PayloadCodec.Chunks(delta, delta.LongLength, 1 << 20))
        {
            yield return new UpdateChunk { Data = chunk };
        }

        await Task.CompletedTask;
    }
}
