using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>
/// The live page's static files (Web/dist, built from Web/src), embedded in this assembly so that the coordinator
/// serves them with nothing on disk and no Node.js at run time.
/// </summary>
internal sealed class WebAssets
{
    private const string Prefix = "web/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".map"] = "application/json",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, WebAsset> _assets;

    private WebAssets(FrozenDictionary<string, WebAsset> assets) => _assets = assets;

    /// <summary>Paths relative to the page root, e.g. <c>index.html</c>, <c>assets/app.js</c>.</summary>
    public IEnumerable<string> Paths => _assets.Keys;

    public static WebAssets Load(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var assets = new Dictionary<string, WebAsset>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            byte[] content = buffer.ToArray();
            string path = name[Prefix.Length..];
            string contentType = ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
            // A strong validator: browsers revalidate the page on every load and get 304 while it is unchanged.
            string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
            assets[path] = new WebAsset(content, contentType, etag);
        }

        return new WebAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public WebAsset? Find(string path) => _assets.GetValueOrDefault(path);
}
