using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace FedTrain.Worker.Security;

/// <summary>
/// The channel settings of a worker: its TLS handler and its credential (enrolling first when it has none yet).
/// Dispose it after the worker's channel.
/// </summary>
public sealed class WorkerConnection : IDisposable
{
    private readonly SocketsHttpHandler _handler;

    private WorkerConnection(SocketsHttpHandler handler, GrpcChannelOptions channelOptions)
    {
        _handler = handler;
        ChannelOptions = channelOptions;
    }

    public GrpcChannelOptions ChannelOptions { get; }

    public static async Task<WorkerConnection> CreateAsync(
        WorkerOptions worker, WorkerSecurityOptions security, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(security);
        security.Validate();
        foreach (var address in worker.Coordinators)
        {
            security.RequireSafeTransport(address);
        }

        var handler = WorkerTls.CreateHandler(security, logger);
        try
        {
            string? credential;
            using (var enrolment = CoordinatorChannel.Open(worker.Coordinators, new GrpcChannelOptions { HttpHandler = handler }))
            {
                credential = await WorkerCredentials.ObtainAsync(security, worker.WorkerId, enrolment, logger, cancellationToken).ConfigureAwait(false);
            }

            bool secure = worker.Coordinator.Scheme == Uri.UriSchemeHttps;
            var options = new GrpcChannelOptions
            {
                MaxReceiveMessageSize = 16 << 20,
                HttpHandler = handler,
                Credentials = credential is null
                    ? (secure ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure)
                    : ChannelCredentials.Create(secure ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, WorkerCredentials.AsCallCredentials(credential)),
                // Over plain http the credential may only go to a loopback coordinator: RequireSafeTransport refused any other above.
                UnsafeUseInsecureChannelCallCredentials = !secure,
            };
            return new WorkerConnection(handler, options);
        }
        catch
        {
            handler.Dispose();
            throw;
        }
    }

    public void Dispose() => _handler.Dispose();
}
