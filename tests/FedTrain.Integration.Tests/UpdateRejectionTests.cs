using FedTrain.Integration.Tests.Support;
using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using Google.Protobuf;

namespace FedTrain.Integration.Tests;

/// <summary>
/// A real coordinator (in this process, real gRPC on loopback) fed bad updates by hand-made workers: each is
/// refused with its status and reason, and the round still commits with the one good update.
/// </summary>
public sealed class UpdateRejectionTests
{
    [Fact]
    public async Task Bad_updates_are_refused_with_a_status_and_the_round_goes_on()
    {
        string[] workers = ["good", "nan", "shape", "oversized", "frame", "malformed", "inflated"];
        const int MaxMessageBytes = 256 * 1024;
        await using var coordinator = await RejectionCoordinator.StartAsync("reject", workers, options =>
        {
            options.MaxMessageBytes = MaxMessageBytes;
            options.ChunkBytes = 128 * 1024;
        });
        var host = coordinator.Host;
        var channel = coordinator.Channel;

        var assignment = coordinator.Assignments["good"];
        var global = await DownloadAsync(channel, "good", assignment);
        Assert.Equal(assignment.ParameterCount, global.Length);

        // Transport damage and stale versions are refused without failing the worker for the round.
        var delta = new float[assignment.ParameterCount];
        delta.AsSpan().Fill(0.001f);
        var checksum = await UploadExpectingAsync(channel, Header(coordinator, "good", delta, corruptChecksum: true), delta, StatusCode.DataLoss);
        Assert.Contains("SHA-256", checksum.Status.Detail, StringComparison.Ordinal);
        // The checksum the coordinator asks its workers for, as the assignment says.
        Assert.Equal(PayloadChecksum.Xxh3128, assignment.UploadChecksum);
        var fast = await UploadExpectingAsync(channel, Header(coordinator, "good", delta, corruptChecksum: true, PayloadChecksum.Xxh3128), delta, StatusCode.DataLoss);
        Assert.Contains("XXH3-128", fast.Status.Detail, StringComparison.Ordinal);
        var stale = Header(coordinator, "good", delta);
        stale.ModelVersion = 7;
        Assert.Contains("version 7", (await UploadExpectingAsync(channel, stale, delta, StatusCode.FailedPrecondition)).Status.Detail, StringComparison.Ordinal);
        var wrongRun = Header(coordinator, "good", delta);
        wrongRun.RunId = "another-run";
        await UploadExpectingAsync(channel, wrongRun, delta, StatusCode.FailedPrecondition);

        // Unusable updates are refused and the round stops waiting for their senders.
        var nan = (float[])delta.Clone();
        nan[12345 % nan.Length] = float.NaN;
        Assert.Contains("non-finite", (await UploadExpectingAsync(channel, Header(coordinator, "nan", nan), nan, StatusCode.InvalidArgument)).Status.Detail, StringComparison.Ordinal);
        var shorter = new float[delta.Length - 10];
        await UploadExpectingAsync(channel, Header(coordinator, "shape", shorter), shorter, StatusCode.InvalidArgument);
        var longer = new float[delta.Length + 10];
        await UploadExpectingAsync(channel, Header(coordinator, "oversized", longer), longer, StatusCode.ResourceExhausted);
        var inflated = Header(coordinator, "inflated", delta);
        inflated.ExampleCount = RejectionCoordinator.WorkerExamples * 1000;
        await UploadExpectingAsync(channel, inflated, delta, StatusCode.InvalidArgument);
        var malformed = await Assert.ThrowsAsync<RpcException>(() => channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate, Stream(new UpdateChunk { Data = ByteString.CopyFrom(1, 2, 3) })));
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);

        // One message above the configured max message size: refused by the wire layer before it is buffered.
        var bigFrame = await Assert.ThrowsAsync<RpcException>(() => channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate,
            Stream(new UpdateChunk { Header = Header(coordinator, "frame", delta) }, new UpdateChunk { Data = ByteString.CopyFrom(new byte[MaxMessageBytes + 1]) })));
        Assert.Equal(StatusCode.ResourceExhausted, bigFrame.StatusCode);

        var accepted = await channel.ClientStreamingAsync(CoordinatorMethods.UploadUpdate, Upload(Header(coordinator, "good", delta), delta, 128 * 1024));
        Assert.True(accepted.Accepted);
        await UploadExpectingAsync(channel, Header(coordinator, "good", delta), delta, StatusCode.AlreadyExists);

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

        var rejections = coordinator.Rejections;
        Assert.True(rejections.Count >= 8, string.Join('\n', rejections));
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

    private static UploadHeader Header(
        RejectionCoordinator coordinator, string worker, float[] values, bool corruptChecksum = false, PayloadChecksum checksum = PayloadChecksum.Sha256)
    {
        var payload = PayloadCodec.CreateHeader(values, values.LongLength, 128 * 1024, checksum: checksum);
        if (corruptChecksum && checksum == PayloadChecksum.Sha256)
        {
            var hash = payload.Sha256.ToByteArray();
            hash[0] ^= 0xFF;
            payload.Sha256 = ByteString.CopyFrom(hash);
        }
        else if (corruptChecksum)
        {
            var hash = payload.Xxh3128.ToByteArray();
            hash[^1] ^= 0xFF;
            payload.Xxh3128 = ByteString.CopyFrom(hash);
        }

        return coordinator.Header(worker, payload);
    }

    private static async Task<RpcException> UploadExpectingAsync(GrpcChannel channel, UploadHeader header, float[] values, StatusCode expected)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate, Upload(header, values, 128 * 1024)));
        Assert.True(ex.StatusCode == expected, $"expected {expected}, got {ex.StatusCode}: {ex.Status.Detail}");
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
