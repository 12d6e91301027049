using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace FedTrain.Integration.Tests.Browser;

/// <summary>
/// Debian's Chromium started headless with remote debugging on a free port, and one page driven over the
/// DevTools protocol: navigate, evaluate script, watch network requests, take screenshots.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;

    private HeadlessChromium(Process process, string profile, DevToolsSession page)
    {
        _process = process;
        _profile = profile;
        Page = page;
    }

    public DevToolsSession Page { get; }

    public static async Task<HeadlessChromium> StartAsync(int width, int height, CancellationToken cancellationToken)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: run ./run-tests, which installs Debian's chromium.");
        }

        string profile = Directory.CreateTempSubdirectory("fedtrain-chromium-").FullName;
        var start = new ProcessStartInfo(ExecutablePath) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in new[]
        {
            "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--hide-scrollbars", "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0", $"--user-data-dir={profile}", $"--window-size={width},{height}", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        if (Environment.IsPrivilegedProcess)
        {
            // Chromium refuses to run its sandbox as root (CI runs as root).
            start.ArgumentList.Add("--no-sandbox");
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            int port = await ReadDevToolsPortAsync(process, profile, cancellationToken);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            var targets = await http.GetFromJsonAsync<JsonElement>("json/list", cancellationToken);
            var page = targets.EnumerateArray().First(t => t.GetProperty("type").GetString() == "page");
            var session = await DevToolsSession.ConnectAsync(new Uri(page.GetProperty("webSocketDebuggerUrl").GetString()!), cancellationToken);
            return new HeadlessChromium(process, profile, session);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Evaluates a JavaScript expression in the page and returns its value (JSON-serialisable).</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await Page.SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        return result.TryGetProperty("exceptionDetails", out var exception)
            ? throw new InvalidOperationException($"Script failed: {exception}")
            : result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>A PNG of the whole page.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await Page.SendAsync("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true });
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        await Page.DisposeAsync();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium's helpers may still be releasing files; the folder is in the temp directory.
        }
    }

    /// <summary>Chromium writes the port it picked into DevToolsActivePort in its profile folder.</summary>
    private static async Task<int> ReadDevToolsPortAsync(Process process, string profile, CancellationToken cancellationToken)
    {
        string file = Path.Combine(profile, "DevToolsActivePort");
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"chromium exited with code {process.ExitCode} before it opened its DevTools port.");
            }

            if (File.Exists(file) && (await File.ReadAllLinesAsync(file, cancellationToken)) is [var line, ..] && int.TryParse(line, out int port))
            {
                return port;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException("chromium did not open its DevTools port within 30 s.");
    }
}
