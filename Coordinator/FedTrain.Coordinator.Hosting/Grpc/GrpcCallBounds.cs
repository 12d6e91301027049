using System.Globalization;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// Bounds on what one call can make the coordinator hold, applied in front of Grpc.AspNetCore, which has no such
/// settings: a unary call's duration whatever deadline its client sends (by lowering <c>grpc-timeout</c> before
/// Grpc.AspNetCore reads it, so the call ends DEADLINE_EXCEEDED as any deadline would), and the number of health
/// <c>Watch</c> streams per connection and per remote address (they are open to anyone and never end on their own).
/// The slowest rate request data may arrive at is Kestrel's server-wide minimum (see
/// <see cref="Security.CoordinatorSecurity.ConfigureKestrel"/>): HTTP/2 takes no per-request rate.
/// </summary>
public sealed class GrpcCallBounds
{
    private const string WatchPath = "/grpc.health.v1.Health/Watch";

    private readonly TimeSpan _maxUnaryDuration;
    private readonly IReadOnlyDictionary<string, TimeSpan> _methodDurations;
    private readonly int _maxWatchesPerConnection;
    private readonly int _maxWatchesPerAddress;
    private readonly Dictionary<string, int> _watches = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <param name="maxUnaryDuration">Longest any unary call may run.</param>
    /// <param name="methodDurations">Tighter bounds for some unary methods, by full path (e.g. enrolment, open to strangers).</param>
    public GrpcCallBounds(
        TimeSpan maxUnaryDuration, IReadOnlyDictionary<string, TimeSpan> methodDurations, int maxWatchesPerConnection, int maxWatchesPerAddress)
    {
        _maxUnaryDuration = maxUnaryDuration;
        _methodDurations = methodDurations;
        _maxWatchesPerConnection = maxWatchesPerConnection;
        _maxWatchesPerAddress = maxWatchesPerAddress;
    }

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(next);
        http.Features.Set<Microsoft.AspNetCore.Http.Features.IRequestBodyPipeFeature>(new FramePrefixGuard(http.Request.BodyReader));
        string path = http.Request.Path.Value ?? string.Empty;
        if (http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method.Type == MethodType.Unary)
        {
            CapDeadline(http.Request, _methodDurations.GetValueOrDefault(path, _maxUnaryDuration));
        }

        if (!string.Equals(path, WatchPath, StringComparison.Ordinal))
        {
            await next(http).ConfigureAwait(false);
            return;
        }

        string connection = "c:" + http.Connection.Id;
        string address = "a:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (AdmitWatch(connection, address) is { } refusal)
        {
            await TrailersOnlyStatus.WriteAsync(http, new Status(StatusCode.ResourceExhausted, refusal)).ConfigureAwait(false);
            return;
        }

        try
        {
            await next(http).ConfigureAwait(false);
        }
        finally
        {
            ReleaseWatch(connection, address);
        }
    }

    /// <summary>Lowers the call's <c>grpc-timeout</c> to <paramref name="max"/> when it asks for more, or for none.</summary>
    internal static void CapDeadline(HttpRequest request, TimeSpan max)
    {
        if (TryParseTimeout(request.Headers["grpc-timeout"].ToString(), out var asked) && asked <= max)
        {
            return;
        }

        // Milliseconds, at most 8 digits as the protocol allows: 99,999,999 ms is over a day.
        long milliseconds = Math.Clamp((long)Math.Ceiling(max.TotalMilliseconds), 1, 99_999_999);
        request.Headers["grpc-timeout"] = milliseconds.ToString(CultureInfo.InvariantCulture) + "m";
    }

    /// <summary>Parses <c>grpc-timeout</c>: 1 to 8 digits and a unit (H, M, S, m, u, n).</summary>
    internal static bool TryParseTimeout(string value, out TimeSpan timeout)
    {
        timeout = default;
        if (value.Length is < 2 or > 9 || !long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long amount))
        {
            return false;
        }

        double? ticks = value[^1] switch
        {
            'H' => amount * (double)TimeSpan.TicksPerHour,
            'M' => amount * (double)TimeSpan.TicksPerMinute,
            'S' => amount * (double)TimeSpan.TicksPerSecond,
            'm' => amount * (double)TimeSpan.TicksPerMillisecond,
            'u' => amount * 10.0,
            'n' => amount / 100.0,
            _ => null,
        };
        if (ticks is not { } t || t >= TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        timeout = TimeSpan.FromTicks((long)t);
        return true;
    }

    private string? AdmitWatch(string connection, string address)
    {
        lock (_gate)
        {
            if (_watches.GetValueOrDefault(connection) >= _maxWatchesPerConnection)
            {
                return $"Too many health Watch streams on this connection (at most {_maxWatchesPerConnection}).";
            }

            if (_watches.GetValueOrDefault(address) >= _maxWatchesPerAddress)
            {
                return $"Too many health Watch streams from this address (at most {_maxWatchesPerAddress}).";
            }

            _watches[connection] = _watches.GetValueOrDefault(connection) + 1;
            _watches[address] = _watches.GetValueOrDefault(address) + 1;
            return null;
        }
    }

    private void ReleaseWatch(string connection, string address)
    {
        lock (_gate)
        {
            foreach (string key in (ReadOnlySpan<string>)[connection, address])
            {
                // Entries go with their last stream, so the table holds only callers watching now.
                if (_watches[key] == 1)
                {
                    _watches.Remove(key);
                }
                else
                {
                    _watches[key]--;
                }
            }
        }
    }
}
