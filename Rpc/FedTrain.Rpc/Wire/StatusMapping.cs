namespace FedTrain.Rpc;

/// <summary>Status codes synthesized when a peer sent none (grpc/grpc doc/http-grpc-status-mapping.md, PROTOCOL-HTTP2.md).</summary>
internal static class StatusMapping
{
    /// <summary>For a response without <c>grpc-status</c>: derive the status from the HTTP status.</summary>
    public static StatusCode FromHttpStatus(int httpStatus) => httpStatus switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        431 => StatusCode.Internal,
        _ => StatusCode.Unknown,
    };

    /// <summary>For a stream reset by the peer (RST_STREAM or GOAWAY error code).</summary>
    public static StatusCode FromHttp2ErrorCode(long errorCode) => errorCode switch
    {
        0x7 => StatusCode.Unavailable,       // REFUSED_STREAM: not processed, safe to retry
        0x8 => StatusCode.Cancelled,         // CANCEL
        0xB => StatusCode.ResourceExhausted, // ENHANCE_YOUR_CALM
        0xC => StatusCode.PermissionDenied,  // INADEQUATE_SECURITY
        _ => StatusCode.Internal,
    };

    /// <summary>Parses a <c>grpc-status</c> value: decimal, no sign, known code; anything else is UNKNOWN.</summary>
    public static StatusCode ParseStatus(string? value)
    {
        if (value is { Length: > 0 and <= 2 } && int.TryParse(value, System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var code) && code <= (int)StatusCode.Unauthenticated)
        {
            return (StatusCode)code;
        }

        return StatusCode.Unknown;
    }

    public static string Format(StatusCode status) => ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
