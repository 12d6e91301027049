using System.Diagnostics;

namespace FedTrain.Deployment.Tests.Support;

/// <summary>Runs a command-line tool to completion and captures what it printed.</summary>
internal static class Tool
{
    public static async Task<ToolResult> RunAsync(
        string executable, IEnumerable<string> arguments, string? workingDirectory = null, string? standardInput = null,
        TimeSpan? timeout = null)
    {
        string path = Resolve(executable);
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{executable} {string.Join(' ', arguments)} did not finish in time.");
        }

        return new ToolResult(process.ExitCode, await output, await error);
    }

    /// <summary>The tool's full path, or a failure that says how to get it.</summary>
    public static string Resolve(string executable)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            string candidate = Path.Combine(directory, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{executable} is not on PATH: run scripts/ensure-deps.sh --tests, which installs it.");
    }
}
