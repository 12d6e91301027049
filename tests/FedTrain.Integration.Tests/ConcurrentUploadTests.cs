using FedTrain.Integration.Tests.Support;
using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using Grpc.Core;
using FedTrain.Protos.Transport;

namespace FedTrain.Integration.Tests;

/// <summary>One upload in flight per client, on a real coordinator: a second stream for the same client is refused at its header.</summary>
public sealed class ConcurrentUploadTests
{
    [Fact]
    public async Task A_second_concurrent_upload_for_a_client_is_refused_before_any_spool_file_and_the_first_completes()
    {
        await using var coordinator = await RejectionCoordinator.StartAsync("one-upload", ["good", "other"], o => o.ChunkBytes = 64 * 1024);
        var channel = coordinator.Channel;
        string spool = coordinator.Host.Orchestrator.UpdateSpool.Directory;
        var delta = new float[coordinator.Assignments["good"].ParameterCount];
        delta.AsSpan().Fill(0.001f);
        var header = coordinator.Header("good", PayloadCodec.CreateHeader(delta, delta.LongLength, 64 * 1024));

        // The first upload sends its header and one chunk, then holds its stream open until released. Its spool file
        // appearing is the sign that the coordinator has taken its header.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(spool, "*-good-*") { EnableRaisingEvents = true };
        watcher.Created += (_, _) => started.TrySetResult();
        var first = channel.ClientStreamingAsync(CoordinatorMethods.UploadUpdate, HeldUpload(header, delta, release.Task));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        string[] before = Directory.GetFiles(spool, "*-good-*");
        Assert.Single(before);

        var second = await Assert.ThrowsAsync<RpcException>(() => channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate, HeldUpload(header, delta, Task.CompletedTask)));

        Assert.Equal(StatusCode.Aborted, second.StatusCode);
        Assert.Contains("an upload for client good is already in flight", second.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFiles(spool, "*-good-*"));
        Assert.False(first.IsCompleted);
        // The refusal did not count against the client: its first upload completes and is the one accepted.
        release.SetResult();
        Assert.True((await first).Accepted);
        var again = await Assert.ThrowsAsync<RpcException>(() => channel.ClientStreamingAsync(
            CoordinatorMethods.UploadUpdate, HeldUpload(header, delta, Task.CompletedTask)));
        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);
        Assert.DoesNotContain(coordinator.Rejections, r => r.StartsWith("good:", StringComparison.Ordinal) && r.Contains("in flight", StringComparison.Ordinal));
    }

    private static async IAsyncEnumerable<UpdateChunk> HeldUpload(UploadHeader header, float[] delta, Task release)
    {
        yield return new UpdateChunk { Header = header };
        bool first = true;
        foreach (var chunk in PayloadCodec.Chunks(delta, delta.LongLength, 64 * 1024))
        {
            yield return new UpdateChunk { Data = chunk };
            if (first)
            {
                first = false;
                await release;
            }
        }
    }
}
