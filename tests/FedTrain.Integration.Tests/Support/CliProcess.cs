using System.Diagnostics;
using System.Text;

namespace FedTrain.Integration.Tests.Support;

/// <summary>
/// A real <c>fedtrain</c> process; its output is captured for assertions and failure messages. Coordinators,
/// demos and admin commands get the suite's database (<see cref="TestDatabase"/>) unless the test names one.
/// </summary>
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

    public int Id => _process.Id;

    /// <summary>Sends a signal by name (STOP, CONT, ...) to the process.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{name} {Id} failed.");
        }
    }

    public static CliProcess Start(params string[] arguments) => Start(new Dictionary<string, string>(), arguments);

    /// <summary>Starts <c>fedtrain</c> with extra environment variables (e.g. an armed fault), which its worker processes inherit.</summary>
    public static CliProcess Start(string[] environment, string[] arguments) =>
        Start(environment.ToDictionary(v => v[..v.IndexOf('=', StringComparison.Ordinal)], v => v[(v.IndexOf('=', StringComparison.Ordinal) + 1)..]), arguments);

    public static CliProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RepoPaths.CliAssembly);
        foreach (string argument in TestDatabase.Apply(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["FEDTRAIN_NATIVE_LIB"] = Environment.GetEnvironmentVariable("FEDTRAIN_NATIVE_LIB")
            ?? Path.Combine(RepoPaths.Root, "build", "native", "libfedtrain_trainer.so");
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
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
