using System.Diagnostics;

namespace FedTrain.Telemetry.Tests;

/// <summary>Runs Prometheus's own <c>promtool</c> (Debian package <c>prometheus</c>, installed by scripts/ensure-deps.sh --tests).</summary>
internal static class Promtool
{
    public const string Path = "/usr/bin/promtool";

    /// <summary>Runs promtool with <paramref name="arguments"/>, feeding <paramref name="input"/> on stdin; returns exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string? input, params string[] arguments)
    {
        if (!File.Exists(Path))
        {
            throw new FileNotFoundException("promtool is missing: run scripts/ensure-deps.sh --tests (Debian package prometheus).", Path);
        }

        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
