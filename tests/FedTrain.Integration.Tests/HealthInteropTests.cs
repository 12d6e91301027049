using System.Diagnostics;
using System.Globalization;
using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests;

/// <summary>Kubernetes-style gRPC health probes against a running coordinator, made by Python grpcio.</summary>
public sealed class HealthInteropTests
{
    [Fact]
    public async Task Python_grpcio_gets_SERVING_from_a_running_coordinator()
    {
        string dir = RepoPaths.NewRunDirectory("health");
        int port = FederationTests.FreePort();
        using var coordinator = CliProcess.Start(
            "coordinator", "--grpc-port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "0", "--bind", "127.0.0.1",
            "--run-dir", dir, "--test-limit", "100", "--min-workers", "1");
        await coordinator.WaitForOutputAsync("Coordinator listening", TimeSpan.FromSeconds(60));

        Assert.Equal("SERVING", await CheckAsync(port, string.Empty));
        Assert.Equal("SERVING", await CheckAsync(port, "fedtrain.v1.Coordinator"));
        Assert.Equal("NOT_FOUND", await CheckAsync(port, "no.such.Service"));
    }

    /// <param name="caFile">With a CA, the probe uses TLS and trusts only that CA.</param>
    internal static async Task<string> CheckAsync(int port, string service, string? caFile = null)
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            throw new InvalidOperationException("Debian's python3 is missing: run ./run-tests, which installs python3-grpcio and python3-grpc-tools.");
        }

        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "FedTrain.Integration.Tests", "python", "health_check.py"));
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "Protos"));
        start.ArgumentList.Add($"127.0.0.1:{port}");
        start.ArgumentList.Add(service);
        if (caFile is not null)
        {
            start.ArgumentList.Add(caFile);
        }

        using var process = Process.Start(start)!;
        string output = await process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"python exited {process.ExitCode}: {error}");
        return output.Trim();
    }
}
