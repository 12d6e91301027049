using System.Globalization;
using System.Text.Json;
using FedTrain.Coordinator.Registry;
using FedTrain.Coordinator.Rounds;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>
/// The live web page on the coordinator's HTTP port: the static page at <c>/</c> and the JSON it polls,
/// <c>/api/rounds</c>, <c>/api/clients[?round=N]</c>, <c>/api/workers</c> and <c>/api/cluster</c>.
/// </summary>
internal static class LiveViewEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static void Map(
        WebApplication app, RoundOrchestrator orchestrator, WorkerRegistry registry, ICoordinatorCluster cluster, CoordinatorOptions options, TimeProvider time)
    {
        var assets = WebAssets.Load(typeof(LiveViewEndpoints).Assembly);
        app.MapGet("/", (HttpContext http) => Serve(http, assets, "index.html"));
        app.MapGet("/assets/{file}", (HttpContext http, string file) => Serve(http, assets, "assets/" + file));
        app.MapGet("/api/rounds", () => Results.Json(RoundsReport.Build(orchestrator, options), Json));
        app.MapGet("/api/workers", () => Results.Json(WorkersReport.Build(registry, orchestrator, options.WorkerTimeout, time.GetUtcNow()), Json));
        app.MapGet("/api/cluster", () => Results.Json(ClusterReport.Build(cluster), Json));
        app.MapGet("/api/clients", (HttpContext http) =>
        {
            long? round = null;
            if (http.Request.Query.TryGetValue("round", out var text))
            {
                if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed) || parsed < 1)
                {
                    return Results.Problem($"round must be a positive integer, got '{text}'.", statusCode: StatusCodes.Status400BadRequest);
                }

                round = parsed;
            }

            return ClientsReport.Build(orchestrator, round) is { } report
                ? Results.Json(report, Json)
                : Results.Problem($"Round {round} is not committed.", statusCode: StatusCodes.Status404NotFound);
        });
    }

    private static IResult Serve(HttpContext http, WebAssets assets, string path)
    {
        if (assets.Find(path) is not { } asset)
        {
            return Results.NotFound();
        }

        http.Response.Headers.ETag = asset.ETag;
        // Revalidate every time: a rebuilt coordinator must never run an old page against a new API.
        http.Response.Headers.CacheControl = "no-cache";
        return http.Request.Headers.IfNoneMatch == asset.ETag
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(asset.Content, asset.ContentType);
    }
}
