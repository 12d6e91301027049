using System.Diagnostics;
using System.Text;

namespace FedTrain.Rpc.Tests.Interop;

/// <summary>Runs Debian's system Python, which has python3-grpcio (a pyenv python3 earlier on PATH may not).</summary>
internal static class PythonRunner
{
    public const string Python = "/usr/bin/python3";

    public const string InstallHint =
        "The interop tests need gRPC for the system Python: install python3-grpcio and python3-grpc-tools " +
        "(apt-get install python3-grpcio python3-grpc-tools); the project's test script installs them.";

    public static string ScriptPath(string name) => Path.Combine(AppContext.BaseDirectory, "interop", name);

    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments, bool redirectInput = false)
    {
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        info.Environment["PYTHONIOENCODING"] = "utf-8";
        info.Environment.Remove("PYTHONPATH");
        return info;
    }

    /// <summary>Runs to completion; the process tree is killed if it outlives <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, TimeSpan timeout)
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} was not found. {InstallHint}");
        }

        using var process = Process.Start(StartInfo(arguments)) ?? throw new InvalidOperationException($"Could not start {Python}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"python3 {string.Join(' ', arguments)} ran longer than {timeout}: {await stderr}");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
