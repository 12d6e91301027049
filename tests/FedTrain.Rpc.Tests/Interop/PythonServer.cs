using System.Diagnostics;
using System.Text;

namespace FedTrain.Rpc.Tests.Interop;

/// <summary>
/// tests/interop/echo_server.py as a child process. It exits when its stdin closes, so it also goes away
/// if the test host dies; disposing closes stdin and kills the tree if it lingers.
/// </summary>
internal sealed class PythonServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private PythonServer(Process process, int port)
    {
        _process = process;
        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Address { get; }

    public static async Task<PythonServer> StartAsync(string stubsDirectory, bool gzip)
    {
        List<string> arguments = [PythonRunner.ScriptPath("echo_server.py"), "--stubs", stubsDirectory];
        if (gzip)
        {
            arguments.Add("--gzip");
        }

        var process = Process.Start(PythonRunner.StartInfo(arguments, redirectInput: true))
            ?? throw new InvalidOperationException("Could not start the Python echo server.");
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
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var line = await process.StandardOutput.ReadLineAsync(cts.Token);
            if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
            {
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
                lock (stderr)
                {
                    throw new InvalidOperationException($"The Python echo server did not start: {line} {stderr}");
                }
            }

            var server = new PythonServer(process, int.Parse(line.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture));
            return server;
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
