using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Browser;

/// <summary>The coordinator's live page, loaded in headless Chromium while a real demo federation trains.</summary>
public sealed partial class LivePageTests
{

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // What the page shows, read from the data attributes it keeps on its panels and table rows.
    private const string PageState = """
        JSON.stringify({
          rounds: Number(document.body.dataset.rounds),
          status: document.getElementById('run-status').dataset.state,
          accuracy: Number(document.getElementById('accuracy-panel').dataset.points),
          loss: Number(document.getElementById('loss-panel').dataset.points),
          epsilon: Number(document.getElementById('epsilon-panel').dataset.points),
          epsilonState: document.getElementById('epsilon-panel').dataset.state ?? '',
          fairness: Number(document.getElementById('fairness-panel').dataset.points),
          canvases: document.querySelectorAll('canvas').length,
          workers: [...document.querySelectorAll('#workers-body tr')].map(r => r.dataset.workerId),
          workerStates: [...document.querySelectorAll('#workers-body tr')].map(r => r.dataset.state),
          nodes: [...document.querySelectorAll('#nodes-body tr')].map(r => `${r.dataset.status} ${r.dataset.leads === 'true' ? 'leader' : 'standby'}`),
          hash: location.hash,
          storedToken: sessionStorage.getItem('fedtrain.operatorToken') ?? '',
          tokenOnDisk: localStorage.getItem('fedtrain.operatorToken') ?? '',
          // Counts Content-Security-Policy violations from the first read on (the charts redraw every poll).
          cspViolations: (window.fedtrainCsp ??= (() => {
            const seen = { count: 0 };
            document.addEventListener('securitypolicyviolation', () => seen.count++);
            return seen;
          })()).count
        })
        """;

    [Fact]
    public async Task Page_plots_the_rounds_of_a_running_dp_demo_and_lists_its_workers()
    {
        string dir = RepoPaths.NewRunDirectory("webpage");
        using var demo = CliProcess.Start(
            "demo", "--workers", "2", "--clients", "8", "--partition", "iid", "--rounds", "5", "--out", dir,
            "--sampling-rate", "0.6", "--noise-multiplier", "0.7", "--clip-norm", "1", "--target-epsilon", "200",
            "--fraction-evaluate", "1", "--train-limit", "2000", "--test-limit", "300", "--local-steps", "5",
            "--conv", "4,8", "--hidden", "16");
        await demo.WaitForOutputAsync("live page", TimeSpan.FromSeconds(90));
        string page = $"http://127.0.0.1:{PageUrl().Match(demo.Output).Groups[1].Value}/";
        // The demo's coordinator requires its operator token on /api/*.
        string operatorToken = (await File.ReadAllTextAsync(Path.Combine(dir, "operator.token"))).Trim();

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var chromium = await HeadlessChromium.StartAsync(1280, 1500, timeout.Token);
        await chromium.Page.SendAsync("Network.enable");
        // The token in the fragment is how an operator opens the page when the API requires one.
        await chromium.Page.SendAsync("Page.navigate", new { url = page + "#token=" + operatorToken });
        var apiRequest = await chromium.Page.WaitForEventAsync(
            "Network.requestWillBeSent",
            e => e.GetProperty("request").GetProperty("url").GetString()!.EndsWith("/api/rounds", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30));
        Assert.Equal("Bearer " + operatorToken, apiRequest.GetProperty("request").GetProperty("headers").GetProperty("Authorization").GetString());

        // Wait, while the run goes on, until the page has drawn two rounds and the client evaluations.
        PageView view;
        do
        {
            await Task.Delay(500, timeout.Token);
            view = await ReadAsync(chromium);
            Assert.False(demo.HasExited && view.Rounds < 2, $"The demo ended before the page showed two rounds.\n{demo.Output}");
        }
        while (view.Rounds < 2 || view.Fairness == 0 || view.Epsilon < view.Rounds);

        byte[] screenshot = await chromium.ScreenshotAsync();
        await SaveScreenshotAsync(screenshot);

        Assert.Equal(view.Rounds, view.Accuracy);
        Assert.Equal(view.Rounds, view.Loss);
        Assert.Equal("on", view.EpsilonState);
        Assert.Equal(view.Rounds, view.Epsilon);
        // Under DP the fairness chart plots the noised histogram's counted buckets, not one bar per client.
        Assert.True(view.Fairness >= 1);
        Assert.Equal(4, view.Canvases);
        Assert.Equal(["worker-1", "worker-2"], view.Workers);
        // Under DP a worker's round activity is withheld: it is only live (or gone).
        Assert.All(view.WorkerStates, s => Assert.Equal("live", s));
        // The demo's coordinator is a cluster of one node, which leads the run.
        Assert.Equal(["active leader"], view.Nodes);
        Assert.Contains(view.Status, new[] { "running", "finished" });
        // The token left the address bar (and history) for the tab's session storage, never local storage.
        Assert.Equal(string.Empty, view.Hash);
        Assert.Equal(operatorToken, view.StoredToken);
        Assert.Equal(string.Empty, view.TokenOnDisk);
        Assert.True(screenshot.Length > 10_000 && screenshot.AsSpan(1, 3).SequenceEqual("PNG"u8), "not a PNG of a drawn page");

        // The page never shows more rounds than the coordinator committed.
        using var http = new HttpClient { BaseAddress = new Uri(page) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", operatorToken);
        var rounds = await http.GetFromJsonAsync<JsonElement>("api/rounds", timeout.Token);
        Assert.InRange(view.Rounds, 2, rounds.GetProperty("rounds").GetArrayLength());
        var clients = await http.GetFromJsonAsync<JsonElement>("api/clients?round=1", timeout.Token);
        Assert.Equal(1, clients.GetProperty("round").GetInt64());
        // Under DP no client is listed; the figures come from the noised histogram, whose counted buckets are given.
        Assert.Empty(clients.GetProperty("clients").EnumerateArray());
        Assert.Equal(4, clients.GetProperty("fairness").GetProperty("noise_standard_deviation").GetDouble());
        Assert.NotEmpty(clients.GetProperty("histogram").EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("api/clients?round=first", timeout.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/clients?round=999", timeout.Token)).StatusCode);

        int exit = await demo.WaitForExitAsync(TimeSpan.FromMinutes(3));
        Assert.True(exit == 0, demo.Output);
        // Once the coordinator is gone the page says so and keeps the last curves on screen.
        do
        {
            await Task.Delay(500, timeout.Token);
            view = await ReadAsync(chromium);
        }
        while (view.Status != "unreachable");
        Assert.True(view.Accuracy >= 2, "the curves were cleared when the coordinator went away");
        // The page ran under the coordinator's Content-Security-Policy without breaking any of it.
        Assert.Equal(0, view.CspViolations);
    }

    private static async Task<PageView> ReadAsync(HeadlessChromium chromium)
    {
        var value = await chromium.EvaluateAsync(PageState);
        return JsonSerializer.Deserialize<PageView>(value.GetString()!, Json)!;
    }

    /// <summary>Keeps the screenshot next to the test runs; FEDTRAIN_SCREENSHOT names another file (docs/web-page.png).</summary>
    private static async Task SaveScreenshotAsync(byte[] png)
    {
        string path = Environment.GetEnvironmentVariable("FEDTRAIN_SCREENSHOT") is { Length: > 0 } wanted
            ? wanted
            : Path.Combine(Path.GetTempPath(), "fedtrain-tests", "web-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllBytesAsync(path, png);
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:(\d+)/")]
    private static partial Regex PageUrl();

    private sealed record PageView(
        int Rounds, string Status, int Accuracy, int Loss, int Epsilon, string EpsilonState, int Fairness, int Canvases,
        string[] Workers, string[] WorkerStates, string[] Nodes, string Hash, string StoredToken, string TokenOnDisk, int CspViolations);
}
