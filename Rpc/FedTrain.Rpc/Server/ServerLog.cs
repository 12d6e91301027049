using Microsoft.Extensions.Logging;

namespace FedTrain.Rpc;

/// <summary>Log messages of the server side, with stable event ids.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "gRPC handler for {Method} threw; answering UNKNOWN")]
    public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "gRPC call {Method} failed with {Status}: {Detail}")]
    public static partial void CallFailed(ILogger logger, string method, StatusCode status, string detail);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "gRPC call {Method} exceeded its deadline")]
    public static partial void DeadlineExceeded(ILogger logger, string method);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "gRPC call {Method}: the client went away")]
    public static partial void ClientGone(ILogger logger, string method);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Ignoring invalid grpc-timeout '{Value}' on {Method}")]
    public static partial void InvalidTimeout(ILogger logger, string value, string method);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "No gRPC method at {Path}")]
    public static partial void MethodNotFound(ILogger logger, string path);
}
