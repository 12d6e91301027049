namespace FedTrain.Rpc;

/// <summary>Header names and fixed values of the gRPC-over-HTTP/2 protocol (grpc/grpc doc/PROTOCOL-HTTP2.md).</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string TeHeader = "te";

    /// <summary>What we can decode; we always send uncompressed, which every peer must accept.</summary>
    public const string AcceptEncodingValue = "identity,gzip,deflate";

    public const string UserAgent = "grpc-dotnet-fedtrain/1.0";

    /// <summary>gRPC content types are <c>application/grpc</c> optionally followed by <c>+proto</c>, <c>+json</c> or parameters.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';';
    }

    /// <summary>
    /// Headers that belong to the protocol rather than to the application; they are not surfaced as metadata.
    /// Pseudo-headers (':path' etc.) are filtered separately.
    /// </summary>
    public static bool IsReservedHeader(string key) =>
        key.Equals("content-type", StringComparison.OrdinalIgnoreCase)
        || key.Equals("content-length", StringComparison.OrdinalIgnoreCase)
        || key.Equals(TeHeader, StringComparison.OrdinalIgnoreCase)
        || key.Equals("host", StringComparison.OrdinalIgnoreCase)
        || key.Equals("date", StringComparison.OrdinalIgnoreCase)
        || key.Equals("server", StringComparison.OrdinalIgnoreCase)
        || key.Equals(StatusHeader, StringComparison.OrdinalIgnoreCase)
        || key.Equals(MessageHeader, StringComparison.OrdinalIgnoreCase)
        || key.Equals(TimeoutHeader, StringComparison.OrdinalIgnoreCase)
        || key.Equals(EncodingHeader, StringComparison.OrdinalIgnoreCase)
        || key.Equals(AcceptEncodingHeader, StringComparison.OrdinalIgnoreCase);
}
