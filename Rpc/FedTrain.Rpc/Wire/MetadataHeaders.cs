using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;

namespace FedTrain.Rpc;

/// <summary>Moves <see cref="Metadata"/> between HTTP header collections and the gRPC view of them.</summary>
internal static class MetadataHeaders
{
    /// <summary>The value as it goes on the wire: text as is, bytes as unpadded base64.</summary>
    public static string ToWire(Metadata.Entry entry) => entry.ValueBytes is { } bytes ? BinaryHeader.Encode(bytes) : entry.Value!;

    /// <summary>Application metadata from server-side request headers (pseudo- and protocol headers left out).</summary>
    public static Metadata FromRequest(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var (key, values) in headers)
        {
            if (key.StartsWith(':') || GrpcProtocol.IsReservedHeader(key))
            {
                continue;
            }

            foreach (var value in values)
            {
                AddReceived(metadata, key, value);
            }
        }

        return metadata;
    }

    /// <summary>Adds application metadata from client-side response headers or trailers to <paramref name="metadata"/>.</summary>
    public static void AddFromResponse(Metadata metadata, HttpHeaders headers)
    {
        foreach (var (key, values) in headers.NonValidated)
        {
            if (GrpcProtocol.IsReservedHeader(key))
            {
                continue;
            }

            foreach (var value in values)
            {
                AddReceived(metadata, key, value);
            }
        }
    }

    public static void AddToRequest(Metadata metadata, HttpRequestHeaders headers)
    {
        foreach (var entry in metadata)
        {
            headers.TryAddWithoutValidation(entry.Key, ToWire(entry));
        }
    }

    private static void AddReceived(Metadata metadata, string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (!Metadata.IsBinaryKey(key))
        {
            metadata.AddReceived(key, value);
            return;
        }

        // A malformed binary value is dropped rather than failing the whole call.
        var decoded = new List<byte[]>(1);
        if (BinaryHeader.TryDecodeAll(value, decoded))
        {
            foreach (var bytes in decoded)
            {
                metadata.AddReceived(key, bytes);
            }
        }
    }
}
