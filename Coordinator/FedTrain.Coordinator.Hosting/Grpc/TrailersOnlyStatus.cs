using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace FedTrain.Coordinator.Grpc;

/// <summary>
/// Answers a gRPC call with a status alone (a Trailers-Only response: one HEADERS frame that ends the stream),
/// for the checks that run in middleware, before the call reaches Grpc.AspNetCore and before any request message
/// is read.
/// </summary>
public static class TrailersOnlyStatus
{
    public static Task WriteAsync(HttpContext http, Status status)
    {
        ArgumentNullException.ThrowIfNull(http);
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (status.Detail.Length > 0)
        {
            response.Headers["grpc-message"] = PercentEncode(status.Detail);
        }

        return response.CompleteAsync();
    }

    /// <summary>
    /// <c>grpc-message</c> encoding: UTF-8, with every byte outside printable ASCII, and '%' itself, as %XX
    /// (grpc/grpc doc/PROTOCOL-HTTP2.md).
    /// </summary>
    public static string PercentEncode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var encoded = new StringBuilder(text.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }
}
