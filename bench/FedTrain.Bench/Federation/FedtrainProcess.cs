using System.Diagnostics;

namespace FedTrain.Bench.Federation;

/// <summary>
/// Starts one process of the <c>fedtrain</c> executable with its console copied, line by line, into a log file,
/// and optionally handed to the caller as each line arrives (to time what a process says when it says it).
/// </summary>
internal static class FedtrainProcess
{
    public static Process Start(BenchContext context, string logPath, IEnumerable<string> arguments, Action<string>? onLine = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(context.FedtrainExecutable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.GetFileNameWithoutExtension(context.FedtrainExecutable) == "dotnet")
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fedtrain.dll"));
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Path.GetFileNameWithoutExtension(logPath)}.");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var gate = new object();
        process.OutputDataReceived += (_, e) => Append(log, gate, e.Data, onLine);
        process.ErrorDataReceived += (_, e) => Append(log, gate, e.Data, onLine);
        process.Exited += (_, _) => { lock (gate) { log.Dispose(); } };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Append(StreamWriter log, object gate, string? line, Action<string>? onLine)
    {
        if (line is null)
        {
            return;
        }

        onLine?.Invoke(line);
        lock (gate)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The process exited while a last line was in flight.
            }
        }
    }
}
