using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FedTrain.Worker;

/// <summary>
/// The worker's channel to the run's coordinator: one address, or the addresses of a coordinator cluster's nodes.
/// With several, Grpc.Net.Client's pick-first policy connects to the first that accepts (only the node that leads the
/// run listens for workers), and when that connection goes it tries them again in order, so a worker finds the node
/// that leads the run after a failover by itself; the calls in between fail UNAVAILABLE and are retried with back-off.
/// </summary>
internal static class CoordinatorChannel
{
    public static GrpcChannel Open(IReadOnlyList<Uri> addresses, GrpcChannelOptions options)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(options);
        if (addresses.Count == 1)
        {
            return GrpcChannel.ForAddress(addresses[0], options);
        }

        var balancer = new ServiceCollection();
        balancer.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses.Select(a => new BalancerAddress(a.Host, a.Port))));
        options.ServiceProvider = balancer.BuildServiceProvider();
        options.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new PickFirstConfig() } };
        // The node that takes the run over listens within seconds of the leader's death; the default back-off between
        // connection attempts grows to two minutes, far longer than a failover takes. A call made while the channel
        // waits out this back-off fails at once and waits the worker's own retry delay (ReconnectPolicy) on top, so
        // the two are kept short: a refused connection to a standby node costs next to nothing.
        options.InitialReconnectBackoff = TimeSpan.FromMilliseconds(250);
        options.MaxReconnectBackoff = TimeSpan.FromSeconds(1);
        // A static:// address says nothing about TLS: the nodes' own scheme does (WorkerOptions checks they agree).
        options.Credentials ??= addresses[0].Scheme == Uri.UriSchemeHttps ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;
        return GrpcChannel.ForAddress("static:///coordinator", options);
    }
}
