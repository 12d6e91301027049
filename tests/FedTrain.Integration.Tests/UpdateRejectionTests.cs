using FedTrain.Coordinator;
using FedTrain.Coordinator.Hosting;
using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Rpc;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedTrain.Integration.Tests;

/// <summary>
/// A real coordinator (in this process, real gRPC on loopback) fed bad updates by hand-made workers: each is
/// refused with its status and reason, and the round still commits with the one good update.
/// </summary>
public sealed class UpdateRejectionTests
{
    private const int WorkerExamples = 100;

    [Fact]
    public async Task Bad_updates_are_refused_with_a_status_and_the_round_goes_on()
    {
        string[] workers = ["good", "nan", "shape", "oversized", "frame", "malformed", "inflated"];
        var options = new CoordinatorOptions
        {
            BindAddress = "127.0.0.1",
            GrpcPort = 0,
            HttpPort = 0,
            RunDirectory = Support.RepoPaths.NewRunDirectory("reject"),
            Rounds = 1,
            MinWorkers = workers.Length,
            MinFitClients = workers.Length,
            QuorumFraction = 0.1,
            TestLimit = 200,
            RoundTimeout = TimeSpan.FromSeconds(60),
            MaxMessageBytes = 256 * 1024,
            ChunkBytes = 128 * 1024,
            FinishGracePeriod = TimeSpan.FromSeconds(1),
        };
        options.Database = Support.TestDatabase.For(options.RunDirectory);
        // This test is about update validation; authentication has its own tests (Security/).
        options.Security.Auth.Enabled = false;
        var rejections = new List<string>();
        await using var host = await CoordinatorHost.StartAsync(options, NullLoggerFactory.Instance, CancellationToken.None);
        host.Service.UpdateRejected += (worker, _, reason) =>
        {
            lock (rejections)
            {
                rejections.Add($"{worker}: {reason}");
            }
        };
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{host.GrpcPort}"));
        var assignments = new Dictionary<string, RoundAssignment>();
        foreach (string worker in workers)
        {
            var request = new RegisterRequest { WorkerId = worker, Data = new DataSummary { ExampleCount = WorkerExamples } };
            request.Data.LabelHistogram.AddRange([WorkerExamples]);
            var registered = await channel.UnaryAsync(CoordinatorMethods.Register, request);
            Assert.Equal(host.Orchestrator.RunId, registered.RunId);
        }

        foreach (string worker in workers)
        {
            var response = await channel.UnaryAsync(
                CoordinatorMethods.GetAssignment, new AssignmentRequest { WorkerId = worker, WaitSeconds = 20 });
            Assert.Equal(AssignmentResponse.OutcomeOneofCase.Assignment, response.OutcomeCase);
            assignments[worker] = response.Assignment;
        }

        var assignment = assignments["good"];
        var global = await DownloadAsync(channel, "good", assignment);
        Assert.Equal(assignment.ParameterCount, global.Length);

        // Transport damage and stale versions are refused without failing the worker for the round.
        var delta = new float[assignment.ParameterCount];
        delta.AsSpan().Fill(0.001f);
        var checksum = await UploadExpectingAsync(channel, Header("good", assignment, delta, corruptChecksum: true), delta, StatusCode.DataLoss);
        Assert.Contains("SHA-256", checksum.Detail, StringComparison.Ordinal);
        var stale = Header("good", assignment, delta);
        stale.ModelVersion = 7;
        Assert.Contains("version 7", (await UploadExpectingAsync(channel, stale, delta, StatusCode.FailedPrecondition)).Detail, StringComparison.Ordinal);
        var wrongRun = Header("good", assignment, delta);
        wrongRun.RunId = "another-run";
        await UploadExpectingAsync(channel, wrongRun, delta, StatusCode.FailedPrecondition);

        // Unusable updates are refused and the round stops waiting for their senders.
        var nan = (float[])delta.Clone();
        nan[12345 % nan.Length] = float.NaN;
        Assert.Contains("non-finite", (await UploadExpectingAsync(channel, Header("nan", assignment, nan), nan, StatusCode.InvalidArgument)).Detail, StringComparison.Ordinal);
        var shorter = new float[delta.Length - 10];
        await UploadExpectingAsync(channel, Header("shape", assignment, shorter), shorter, StatusCode.InvalidArgument);
        var longer = new float[delta.Length + 10];
        await UploadExpectingAsync(channel, Header("oversized", assignment, longer), longer, StatusCode.ResourceExhausted);
        var inflated = Header("inflated", assignment, delta);
        inflated.ExampleCount = WorkerExamples * 1000;
        await UploadExpectingAsync(channel, inflated, delta, StatusCode.InvalidArgument);
        var malformed = await Assert.ThrowsAsync<RpcException>(() => channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate, Stream(new UpdateChunk { Data = ByteString.CopyFrom(1, 2, 3) })));
        Assert.Equal(StatusCode.InvalidArgument, malformed.Status);

        // One message above the configured max message size: refused by the wire layer before it is buffered.
        var bigFrame = await Assert.ThrowsAsync<RpcException>(() => channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate,
            Stream(new UpdateChunk { Header = Header("frame", assignment, delta) }, new UpdateChunk { Data = ByteString.CopyFrom(new byte[options.MaxMessageBytes + 1]) })));
        Assert.Equal(StatusCode.ResourceExhausted, bigFrame.Status);

        var accepted = await channel.ClientStreamingAsync(CoordinatorMethods.UploadUpdate, Upload(Header("good", assignment, delta), delta, 128 * 1024));
        Assert.True(accepted.Accepted);
        await UploadExpectingAsync(channel, Header("good", assignment, delta), delta, StatusCode.AlreadyExists);

        // "frame" and "malformed" never delivered a usable update: the deadline or the failure bookkeeping ends the round.
        await host.Completion.WaitAsync(TimeSpan.FromSeconds(90));
        var round = Assert.Single(host.Orchestrator.CommittedRounds);
        Assert.Equal("good", Assert.Single(round.Participants).WorkerId);
        Assert.Contains(round.Failures, f => f.StartsWith("nan: update rejected", StringComparison.Ordinal));
        Assert.Contains(round.Failures, f => f.StartsWith("shape: update rejected", StringComparison.Ordinal));
        Assert.Contains(round.Failures, f => f.StartsWith("oversized: update rejected", StringComparison.Ordinal));
        Assert.Contains(round.Failures, f => f.StartsWith("inflated: update rejected", StringComparison.Ordinal));

        // The applied update moved every parameter by exactly the good worker's delta.
        var committed = host.Orchestrator.CurrentModel.Parameters;
        var before = global;
        for (int i = 0; i < committed.Length; i += 101)
        {
            Assert.Equal(before[i] + 0.001f, committed[i], 1e-6);
        }

        lock (rejections)
        {
            Assert.True(rejections.Count >= 8, string.Join('\n', rejections));
        }
    }

    private static async Task<float[]> DownloadAsync(GrpcChannel channel, string worker, RoundAssignment assignment)
    {
        var buffer = new float[assignment.ParameterCount];
        PayloadAssembler? assembler = null;
        await foreach (var chunk in channel.ServerStreamingAsync(CoordinatorMethods.DownloadModel, new DownloadRequest
        {
            WorkerId = worker,
            RunId = assignment.RunId,
            Round = assignment.Round,
            ModelVersion = assignment.ModelVersion,
        }))
        {
            if (chunk.ContentCase == ModelChunk.ContentOneofCase.Header)
            {
                assembler = new PayloadAssembler(chunk.Header, buffer, buffer.LongLength * sizeof(float));
            }
            else
            {
                assembler!.Append(chunk.Data.Span);
            }
        }

        assembler!.Complete();
        assembler.Dispose();
        return buffer;
    }

    private static UploadHeader Header(string worker, RoundAssignment assignment, float[] values, bool corruptChecksum = false)
    {
        var payload = PayloadCodec.CreateHeader(values, values.LongLength, 128 * 1024);
        if (corruptChecksum)
        {
            var hash = payload.Sha256.ToByteArray();
            hash[0] ^= 0xFF;
            payload.Sha256 = ByteString.CopyFrom(hash);
        }

        return new UploadHeader
        {
            WorkerId = worker,
            RunId = assignment.RunId,
            Round = assignment.Round,
            ModelVersion = assignment.ModelVersion,
            ExampleCount = WorkerExamples,
            Payload = payload,
        };
    }

    private static async Task<RpcException> UploadExpectingAsync(GrpcChannel channel, UploadHeader header, float[] values, StatusCode expected)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate, Upload(header, values, 128 * 1024)));
        Assert.True(ex.Status == expected, $"expected {expected}, got {ex.Status}: {ex.Detail}");
        return ex;
    }

    private static async IAsyncEnumerable<UpdateChunk> Upload(UploadHeader header, float[] values, int chunkBytes)
    {
        yield return new UpdateChunk { Header = header };
        foreach (var chunk in PayloadCodec.Chunks(values, values.LongLength, chunkBytes))
        {
            yield return new UpdateChunk { Data = chunk };
        }

        await Task.CompletedTask;
    }

    private static async IAsyncEnumerable<UpdateChunk> Stream(params UpdateChunk[] chunks)
    {
        foreach (var chunk in chunks)
        {
            yield return chunk;
        }

        await Task.CompletedTask;
    }
}
