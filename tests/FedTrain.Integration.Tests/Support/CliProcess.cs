using System.Diagnostics;
using System.Text;

namespace FedTrain.Integration.Tests.Support;

/// <summary>A real <c>fedtrain</c> process; its output is captured for assertions and failure messages.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();

    private CliProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static CliProcess Start(params string[] arguments) => Start([], arguments);

    /// <summary>Starts <c>fedtrain</c> with extra environment variables, each written NAME=VALUE.</summary>
    public static CliProcess Start(string[] environment, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RepoPaths.CliAssembly);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["FEDTRAIN_NATIVE_LIB"] = Environment.GetEnvironmentVariable("FEDTRAIN_NATIVE_LIB")
            ?? Path.Combine(RepoPaths.Root, "build", "native", "libfedtrain_trainer.so");
        start.Environment["NO_COLOR"] = "1";
        foreach (string variable in environment)
        {
            int equals = variable.IndexOf('=', StringComparison.Ordinal);
            start.Environment[variable[..equals]] = variable[(equals + 1)..];
        }
        return new CliProcess(Process.Start(start) ?? throw new InvalidOperationException("fedtrain did not start."));
    }

    /// <summary>Waits for exit; on timeout kills the process and fails with its output.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"fedtrain did not exit within {timeout}. Output:\n{Output}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits until a line containing <paramref name="text"/> appears in the output.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > until || _process.HasExited)
            {
                throw new TimeoutException($"'{text}' did not appear within {timeout}. Output:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_lock)
            {
                _output.AppendLine(line);
            }
        }
    }
}
