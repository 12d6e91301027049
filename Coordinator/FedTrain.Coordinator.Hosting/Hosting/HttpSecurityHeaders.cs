using Microsoft.AspNetCore.Http;

namespace FedTrain.Coordinator.Hosting;

/// <summary>
/// Response headers of every answer on the HTTP port (page, API, metrics, refusals): the page may load scripts,
/// styles and data only from the coordinator itself and may not be framed (clickjacking), browsers may not
/// second-guess content types, and no address (which could carry a <c>#token=</c> link's path) leaks as a referrer.
/// </summary>
public static class HttpSecurityHeaders
{
    /// <summary>
    /// The page's scripts and styles are the coordinator's own files (<c>/assets/*</c>); uPlot styles its elements
    /// through the DOM, which a style-src without 'unsafe-inline' allows. Charts are canvases; data comes from <c>/api/*</c>.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return next(context);
    }
}
