using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Bench.Suites;

/// <summary>
/// A worker without training: registers N clients, takes the round's assignment, and uploads a fixed delta for each
/// client, all at once, through the real protocol.
/// </summary>
internal sealed class BenchUploader(GrpcChannel channel, string workerId)
{
    public async Task<string> RegisterAsync(int clients, int examples, CancellationToken cancellationToken)
    {
        var request = new RegisterRequest { WorkerId = workerId, Data = Summary(examples * clients) };
        for (int k = 0; k < clients; k++)
        {
            request.Clients.Add(new ClientData { ClientId = $"client-{k:D3}", Data = Summary(examples) });
        }

        var response = await channel.UnaryAsync(CoordinatorMethods.Register, request, new CallOptions(cancellationToken: cancellationToken)).ConfigureAwait(false);
        return response.RunId;
    }

    public async Task<RoundAssignment> WaitForAssignmentAsync(string runId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var response = await channel.UnaryAsync(
                CoordinatorMethods.GetAssignment, new AssignmentRequest { WorkerId = workerId, RunId = runId, WaitSeconds = 30 },
                new CallOptions(cancellationToken: cancellationToken)).ConfigureAwait(false);
            switch (response.OutcomeCase)
            {
                case AssignmentResponse.OutcomeOneofCase.Assignment:
                    return response.Assignment;
                case AssignmentResponse.OutcomeOneofCase.Finished:
                    throw new InvalidOperationException($"The run finished before assigning a round: {response.Finished.Reason}");
                default:
                    continue;
            }
        }
    }

    /// <summary>Keeps the worker live (the coordinator fails the clients of a silent worker) until cancelled.</summary>
    public async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await channel.UnaryAsync(CoordinatorMethods.Heartbeat, new HeartbeatRequest { WorkerId = workerId }, new CallOptions(cancellationToken: cancellationToken))
                    .ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async Task UploadAsync(
        RoundAssignment assignment, string clientId, int examples, float[] delta, PayloadHeader payload, CancellationToken cancellationToken)
    {
        var header = new UploadHeader
        {
            WorkerId = workerId,
            ClientId = clientId,
            RunId = assignment.RunId,
            Round = assignment.Round,
            ModelVersion = assignment.ModelVersion,
            ExampleCount = examples,
            Payload = payload,
        };
        var ack = await channel.ClientStreamingAsync(CoordinatorMethods.UploadUpdate, Chunks(header, delta), new CallOptions(cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        if (!ack.Accepted)
        {
            throw new InvalidOperationException($"The update of {clientId} was not accepted.");
        }
    }

    private static async IAsyncEnumerable<UpdateChunk> Chunks(UploadHeader header, float[] delta)
    {
        await Task.Yield();
        yield return new UpdateChunk { Header = header };
        foreach (var data in PayloadCodec.Chunks(delta, delta.LongLength, PayloadCodec.DefaultChunkBytes))
        {
            yield return new UpdateChunk { Data = data };
        }
    }

    private static DataSummary Summary(int examples)
    {
        var summary = new DataSummary { ExampleCount = examples };
        summary.LabelHistogram.Add(examples);
        return summary;
    }
}
