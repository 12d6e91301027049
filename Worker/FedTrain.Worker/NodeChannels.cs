using System.Net;
using Grpc.Net.Client;

namespace FedTrain.Worker;

/// <summary>
/// Channels to the nodes of a coordinator cluster that an assignment names for its model download and uploads
/// (<c>RoundAssignment.node_endpoint</c>): the node leading the run spreads a round's workers over its nodes, each of
/// which serves the round's model and checks, keeps and sums the updates it receives. One channel per node, opened on
/// first use with the worker's own TLS handler and credential; a node's address is used only where the worker would
/// send its credential anyway.
/// </summary>
internal sealed class NodeChannels(Uri coordinator, GrpcChannelOptions channelOptions) : IDisposable
{
    private readonly Dictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>
    /// The channel to <paramref name="endpoint"/>, or null to call the coordinator itself: no endpoint given, or
    /// one the worker must not use (<paramref name="refusal"/> says why).
    /// </summary>
    public GrpcChannel? For(string endpoint, out string? refusal)
    {
        refusal = null;
        if (string.IsNullOrEmpty(endpoint))
        {
            return null;
        }

        lock (_lock)
        {
            if (_channels.TryGetValue(endpoint, out var open))
            {
                return open;
            }

            refusal = Refusal(endpoint, out var address);
            if (refusal is not null)
            {
                return null;
            }

            // The worker's own handler (its trust anchors, its client certificate) and credential, not a copy: the
            // node must prove itself to the worker exactly as the coordinator does.
            var channel = GrpcChannel.ForAddress(address!, new GrpcChannelOptions
            {
                HttpHandler = channelOptions.HttpHandler,
                DisposeHttpClient = false,
                Credentials = channelOptions.Credentials,
                UnsafeUseInsecureChannelCallCredentials = channelOptions.UnsafeUseInsecureChannelCallCredentials,
                MaxReceiveMessageSize = channelOptions.MaxReceiveMessageSize,
                MaxSendMessageSize = channelOptions.MaxSendMessageSize,
            });
            _channels.Add(endpoint, channel);
            return channel;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var channel in _channels.Values)
            {
                channel.Dispose();
            }

            _channels.Clear();
        }
    }

    /// <summary>
    /// Why an endpoint is not used: it must be an absolute http(s) address in the coordinator's scheme, so that a
    /// coordinator reached over TLS can never route uploads in clear; over plain http only a loopback node, the one
    /// case where the worker sends its credential in clear to the coordinator too.
    /// </summary>
    private string? Refusal(string endpoint, out Uri? address)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out address) || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            return "it is not an http(s) address";
        }

        if (address.Scheme != coordinator.Scheme)
        {
            return $"its scheme {address.Scheme} differs from the coordinator's ({coordinator.Scheme})";
        }

        if (address.Scheme == Uri.UriSchemeHttp && !IsLoopback(address))
        {
            return "a plain http address is used only on loopback";
        }

        return null;
    }

    private static bool IsLoopback(Uri address) =>
        address.IsLoopback || (IPAddress.TryParse(address.Host, out var ip) && IPAddress.IsLoopback(ip));
}
