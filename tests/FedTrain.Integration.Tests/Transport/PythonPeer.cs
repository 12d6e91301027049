using System.Diagnostics;
using System.Globalization;
using System.Text;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Transport;

/// <summary>
/// The Python grpcio peers in tests/interop, run by Debian's system Python (which has python3-grpcio and
/// python3-grpc-tools; a pyenv python3 earlier on PATH may not). Each generates its fedtrain.v1 stubs from Protos/.
/// </summary>
internal static class PythonPeer
{
    private const string Python = "/usr/bin/python3";

    public static string ProtoRoot => Path.Combine(RepoPaths.Root, "Protos");

    /// <summary>Runs tests/interop/<paramref name="script"/> to its end and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        using var process = Process.Start(StartInfo(script, arguments, redirectInput: false))
            ?? throw new InvalidOperationException($"Could not start {Python}.");
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
            throw new TimeoutException($"{script} ran longer than {timeout}: {await stdout}{await stderr}");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    public static ProcessStartInfo StartInfo(string script, IEnumerable<string> arguments, bool redirectInput)
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException(
                $"{Python} is missing: run ./run-tests, which installs python3-grpcio and python3-grpc-tools.");
        }

        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "interop", script));
        start.ArgumentList.Add("--protos");
        start.ArgumentList.Add(ProtoRoot);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["PYTHONIOENCODING"] = "utf-8";
        start.Environment.Remove("PYTHONPATH");
        return start;
    }
}

/// <summary>
/// tests/interop/coordinator_server.py, a grpcio server of <c>fedtrain.v1.Coordinator</c>, as a child process. It
/// exits when its stdin closes, so it also goes away if the test host dies; disposing closes stdin and kills it if it lingers.
/// </summary>
internal sealed class PythonCoordinatorServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr;

    private PythonCoordinatorServer(Process process, StringBuilder stderr, int port)
    {
        _process = process;
        _stderr = stderr;
        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Address { get; }

    /// <summary>What the server wrote to stderr so far (tracebacks of its handlers).</summary>
    public string Errors
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <param name="gzip">Compress every response message.</param>
    public static async Task<PythonCoordinatorServer> StartAsync(bool gzip)
    {
        var process = Process.Start(PythonPeer.StartInfo("coordinator_server.py", gzip ? ["--gzip"] : [], redirectInput: true))
            ?? throw new InvalidOperationException("Could not start the Python coordinator server.");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? line = await process.StandardOutput.ReadLineAsync(cts.Token);
            if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
            {
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
                lock (stderr)
                {
                    throw new InvalidOperationException($"The Python coordinator server did not start: {line} {stderr}");
                }
            }

            return new PythonCoordinatorServer(process, stderr, int.Parse(line.AsSpan(5), CultureInfo.InvariantCulture));
        }
        catch
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or InvalidOperationException)
        {
            Kill(_process);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited in the meantime.
        }
    }
}
