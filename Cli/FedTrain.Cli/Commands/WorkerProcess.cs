using System.Diagnostics;

namespace FedTrain.Cli.Commands;

/// <summary>A worker started as a child process of this executable, as the demo and the tests run them.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;

    private WorkerProcess(string workerId, Process process)
    {
        WorkerId = workerId;
        _process = process;
    }

    public string WorkerId { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>fedtrain worker</c> with <paramref name="arguments"/>; its output goes to its log file.</summary>
    public static WorkerProcess Start(string workerId, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this executable's path."),
            UseShellExecute = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };

        // Under `dotnet fedtrain.dll` the process is the dotnet host; the assembly must come first.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(typeof(WorkerProcess).Assembly.Location);
        }

        start.ArgumentList.Add("worker");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new WorkerProcess(workerId, Process.Start(start) ?? throw new InvalidOperationException("The worker process did not start."));
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
