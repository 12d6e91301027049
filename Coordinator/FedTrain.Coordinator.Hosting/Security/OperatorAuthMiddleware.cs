using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Guards the HTTP port: everything needs the operator token (<c>Authorization: Bearer</c>) except
/// <c>/healthz</c>, the live page's shell (<c>/</c>, <c>/assets/*</c>), and <c>/metrics</c> unless <see cref="AuthOptions.MetricsRequireToken"/>. Deny by default, so
/// pages added later are covered too.
/// </summary>
public sealed partial class OperatorAuthMiddleware
{
    private readonly byte[] _tokenHash;
    private readonly bool _metricsRequireToken;
    private readonly ILogger _logger;

    public OperatorAuthMiddleware(byte[] tokenHash, bool metricsRequireToken, ILogger<OperatorAuthMiddleware> logger)
    {
        _tokenHash = tokenHash;
        _metricsRequireToken = metricsRequireToken;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var path = context.Request.Path;
        // The live page's shell and assets hold no run data (it fetches /api/* with the token), so they load without it.
        bool open = path.Equals("/healthz", StringComparison.Ordinal)
            || path.Equals("/", StringComparison.Ordinal)
            || path.StartsWithSegments("/assets", StringComparison.Ordinal)
            || (!_metricsRequireToken && path.StartsWithSegments("/metrics", StringComparison.Ordinal));
        if (open || OperatorToken.Matches(context.Request.Headers.Authorization.ToString(), _tokenHash))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        LogRefused(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", path.Value ?? string.Empty);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
    }

    [LoggerMessage(EventId = 620, Level = LogLevel.Warning, Message = "Refused an HTTP request from {Peer} to {Path}: no valid operator token")]
    private partial void LogRefused(string peer, string path);
}
