using FedTrain.Coordinator.Models;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using FedTrain.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// <c>Coordinator.DownloadModule</c>: streams the run's TorchScript archive to registered workers in chunks below
/// the message limit. A run without a module answers NotFound.
/// </summary>
public sealed class ModuleDownloadService(TorchScriptModule? module, RoundOrchestrator orchestrator, WorkerRegistry registry, int chunkBytes)
{
    internal async Task DownloadModuleAsync(ModuleRequest request, IServerStreamWriter<ModuleChunk> writer, ServerCallContext context)
    {
        WorkerIdentity.Require(request.WorkerId);
        Security.CallerAuthorization.RequireWorker(context, request.WorkerId);
        if (!registry.Touch(request.WorkerId))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Worker {request.WorkerId} is not registered; call Register first."));
        }

        if (request.RunId != orchestrator.RunId)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Run {request.RunId} is not the current run {orchestrator.RunId}."));
        }

        if (module is null || !string.Equals(request.Sha256, module.Sha256, StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"This run has no TorchScript module with SHA-256 {request.Sha256}."));
        }

        var header = new ModuleHeader
        {
            TotalBytes = module.Bytes.Length,
            Sha256 = ByteString.CopyFrom(Convert.FromHexString(module.Sha256)),
        };
        await writer.WriteAsync(new ModuleChunk { Header = header }, context.CancellationToken).ConfigureAwait(false);
        for (int offset = 0; offset < module.Bytes.Length; offset += chunkBytes)
        {
            var slice = module.Bytes.Slice(offset, Math.Min(chunkBytes, module.Bytes.Length - offset));
            await writer.WriteAsync(new ModuleChunk { Data = UnsafeByteOperations.UnsafeWrap(slice) }, context.CancellationToken).ConfigureAwait(false);
        }
    }
}
