using System.Threading.Channels;
using Grpc.Health.V1;

namespace FedTrain.Rpc;

/// <summary>
/// The standard <c>grpc.health.v1.Health</c> service (Kubernetes gRPC probes, grpc_health_probe).
/// The overall server status is the empty service name and starts as <see cref="ServingStatus.Serving"/>.
/// Open to any caller, so bounded: requests of at most <see cref="HealthServiceOptions.MaxRequestBytes"/> (refused at
/// their length prefix), service names of at most <see cref="HealthServiceOptions.MaxServiceNameBytes"/>, and a cap on
/// concurrent <c>Watch</c> streams per connection and per remote address.
/// </summary>
public sealed class HealthService
{
    private const string ServiceName = "grpc.health.v1.Health";
    private static readonly CallLimits RequestLimits = new(MaxRequestMessageSize: HealthServiceOptions.MaxRequestBytes);

    private readonly HealthServiceOptions _options;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal) { [string.Empty] = ServingStatus.Serving };
    private readonly Dictionary<string, List<Channel<ServingStatus>>> _watchers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _watchesPerConnection = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _watchesPerAddress = new(StringComparer.Ordinal);

    public HealthService()
        : this(new HealthServiceOptions())
    {
    }

    public HealthService(HealthServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary><c>/grpc.health.v1.Health/Check</c>, for clients.</summary>
    public static Method<HealthCheckRequest, HealthCheckResponse> CheckMethod { get; } =
        new(MethodType.Unary, ServiceName, "Check", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    /// <summary><c>/grpc.health.v1.Health/Watch</c>, for clients.</summary>
    public static Method<HealthCheckRequest, HealthCheckResponse> WatchMethod { get; } =
        new(MethodType.ServerStreaming, ServiceName, "Watch", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    /// <summary>Sets (or registers) the status of <paramref name="service"/>; "" is the whole server. Watchers are told at once.</summary>
    public void SetStatus(string service, ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_lock)
        {
            _statuses[service] = status;
            if (_watchers.TryGetValue(service, out var watchers))
            {
                foreach (var watcher in watchers)
                {
                    watcher.Writer.TryWrite(status);
                }
            }
        }
    }

    /// <summary>The current status, or null when <paramref name="service"/> is not registered.</summary>
    public ServingStatus? GetStatus(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_lock)
        {
            return _statuses.TryGetValue(service, out var status) ? status : null;
        }
    }

    /// <summary>Registers Check and Watch on <paramref name="router"/>.</summary>
    public void Map(GrpcRouter router)
    {
        ArgumentNullException.ThrowIfNull(router);
        router.MapUnary(CheckMethod, CheckAsync, RequestLimits);
        router.MapServerStreaming(WatchMethod, WatchAsync, RequestLimits);
    }

    /// <summary>Concurrent <c>Watch</c> streams now open, over all callers.</summary>
    public int WatchCount
    {
        get
        {
            lock (_lock)
            {
                return _watchesPerConnection.Values.Sum();
            }
        }
    }

    private Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context)
    {
        RequireShortName(request.Service);
        return GetStatus(request.Service) is { } status
            ? Task.FromResult(ToResponse(status))
            : throw new RpcException(StatusCode.NotFound, $"Unknown service '{request.Service}'.");
    }

    private async Task WatchAsync(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> writer, ServerCallContext context)
    {
        RequireShortName(request.Service);
        var connection = context.HttpContext.Connection;
        string connectionKey = connection.Id;
        string addressKey = connection.RemoteIpAddress?.ToString() ?? "unknown";
        AdmitWatch(connectionKey, addressKey);
        try
        {
            await WatchAdmittedAsync(request, writer, context);
        }
        finally
        {
            lock (_lock)
            {
                Release(_watchesPerConnection, connectionKey);
                Release(_watchesPerAddress, addressKey);
            }
        }
    }

    private static void RequireShortName(string service)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(service) > HealthServiceOptions.MaxServiceNameBytes)
        {
            throw new RpcException(
                StatusCode.InvalidArgument, $"The service name is longer than {HealthServiceOptions.MaxServiceNameBytes} bytes.");
        }
    }

    private void AdmitWatch(string connectionKey, string addressKey)
    {
        lock (_lock)
        {
            int onConnection = _watchesPerConnection.GetValueOrDefault(connectionKey);
            int fromAddress = _watchesPerAddress.GetValueOrDefault(addressKey);
            if (onConnection >= _options.MaxWatchesPerConnection)
            {
                throw new RpcException(
                    StatusCode.ResourceExhausted, $"Too many health Watch streams on this connection (at most {_options.MaxWatchesPerConnection}).");
            }

            if (fromAddress >= _options.MaxWatchesPerAddress)
            {
                throw new RpcException(
                    StatusCode.ResourceExhausted, $"Too many health Watch streams from this address (at most {_options.MaxWatchesPerAddress}).");
            }

            _watchesPerConnection[connectionKey] = onConnection + 1;
            _watchesPerAddress[addressKey] = fromAddress + 1;
        }
    }

    private static void Release(Dictionary<string, int> counts, string key)
    {
        // Entries go when their count reaches zero, so the tables hold only callers with open streams.
        if (counts[key] == 1)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key]--;
        }
    }

    private async Task WatchAdmittedAsync(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> writer, ServerCallContext context)
    {
        // Only the latest status matters to a watcher; a slow one skips intermediate values.
        var updates = Channel.CreateBounded<ServingStatus>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        ServingStatus current;
        lock (_lock)
        {
            current = _statuses.TryGetValue(request.Service, out var status) ? status : ServingStatus.ServiceUnknown;
            if (!_watchers.TryGetValue(request.Service, out var list))
            {
                _watchers[request.Service] = list = [];
            }

            list.Add(updates);
        }

        try
        {
            await writer.WriteAsync(ToResponse(current), context.CancellationToken);
            var last = current;
            await foreach (var status in updates.Reader.ReadAllAsync(context.CancellationToken))
            {
                if (status != last)
                {
                    await writer.WriteAsync(ToResponse(status), context.CancellationToken);
                    last = status;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                var list = _watchers[request.Service];
                list.Remove(updates);
                if (list.Count == 0)
                {
                    _watchers.Remove(request.Service);
                }
            }
        }
    }

    private static HealthCheckResponse ToResponse(ServingStatus status) =>
        new() { Status = (HealthCheckResponse.Types.ServingStatus)status };
}
