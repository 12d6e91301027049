using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FedTrain.Bench.Suites;

/// <summary>
/// A real <c>fedtrain coordinator</c> process on loopback, with its peak resident memory (VmHWM) sampled from
/// /proc while it runs.
/// </summary>
internal sealed class CoordinatorProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];
    private long _peakBytes;

    private CoordinatorProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>The highest VmHWM seen, in bytes.</summary>
    public long PeakBytes => Interlocked.Read(ref _peakBytes);

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    public static CoordinatorProcess Start(string executable, string runDirectory, IEnumerable<string> arguments)
    {
        int port = FreePort();
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(executable) == "dotnet")
        {
            // Run as `dotnet fedtrain.dll` (as the tests do): the assembly comes first.
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fedtrain.dll"));
        }

        foreach (string argument in new[]
        {
            "coordinator", "--grpc-port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "0", "--bind", "127.0.0.1",
            "--run-dir", runDirectory, "--insecure-no-auth",
        }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        return new CoordinatorProcess(Process.Start(start) ?? throw new InvalidOperationException("The coordinator did not start."), port);
    }

    public async Task WaitListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _listening.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Samples VmHWM every 20 ms until the process exits; returns its exit code.</summary>
    public async Task<int> SampleUntilExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + timeout;
        while (!_process.HasExited)
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"The coordinator did not finish within {timeout}. Output:\n{Output}");
            }

            Sample();
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return _process.ExitCode;
    }

    public void Sample()
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    long kib = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                    long bytes = kib * 1024;
                    long seen;
                    while ((seen = Interlocked.Read(ref _peakBytes)) < bytes && Interlocked.CompareExchange(ref _peakBytes, bytes, seen) != seen)
                    {
                    }
                }
            }
        }
        catch (IOException)
        {
            // The process exited between the check and the read.
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        if (line.Contains("Coordinator listening", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }
}
