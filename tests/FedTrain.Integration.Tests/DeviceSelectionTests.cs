using FedTrain.Integration.Tests.Support;
using FedTrain.Worker;

namespace FedTrain.Integration.Tests;

/// <summary><c>--device</c>: auto falls back to the CPU with one line; an unusable explicit device stops the worker at start.</summary>
public sealed class DeviceSelectionTests
{
    private static readonly Func<string, string?> NoCuda = device => device == "cpu" ? null : "CUDA is not available";
    private static readonly Func<string, string?> OneCuda = device => device is "cuda" or "cuda:0" ? null : "no such device";

    [Fact]
    public void Auto_takes_cuda_when_it_answers_and_the_cpu_with_one_message_otherwise()
    {
        var messages = new List<string>();
        Assert.Equal("cuda", DeviceSelection.Resolve("auto", OneCuda, messages.Add));
        Assert.Empty(messages);

        Assert.Equal("cpu", DeviceSelection.Resolve("auto", NoCuda, messages.Add));
        string message = Assert.Single(messages);
        Assert.Contains("CUDA is not available", message, StringComparison.Ordinal);
        Assert.Contains("training on the CPU", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    public void An_explicit_device_that_does_not_answer_is_refused_with_the_reason(string device)
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceSelection.Resolve(device, NoCuda, _ => { }));
        Assert.Contains($"--device {device}", error.Message, StringComparison.Ordinal);
        Assert.Contains("CUDA is not available", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CPU", "cpu")]
    [InlineData("cuda:0", "cuda:0")]
    public void Usable_devices_pass_through_normalised(string requested, string expected) =>
        Assert.Equal(expected, DeviceSelection.Resolve(requested, OneCuda, _ => { }));

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    public void Unknown_device_names_are_refused(string requested)
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceSelection.Resolve(requested, OneCuda, _ => { }));
        Assert.Contains("auto, cpu, cuda or cuda:N", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_asked_for_cuda_on_a_machine_without_it_stops_at_start_with_the_reason()
    {
        if (File.Exists("/proc/driver/nvidia/version"))
        {
            return; // This machine has a GPU: the refusal cannot be observed here.
        }

        using var worker = CliProcess.Start("worker", "--coordinator", "http://127.0.0.1:9", "--device", "cuda", "--train-limit", "100");
        int exit = await worker.WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(2, exit);
        Assert.Contains("--device cuda", worker.Output, StringComparison.Ordinal);
        Assert.Contains("CUDA", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_on_auto_without_a_gpu_says_once_that_it_trains_on_the_cpu()
    {
        if (File.Exists("/proc/driver/nvidia/version"))
        {
            return;
        }

        using var worker = CliProcess.Start("worker", "--coordinator", "http://127.0.0.1:9", "--train-limit", "100");
        await worker.WaitForOutputAsync("training on the CPU", TimeSpan.FromMinutes(1));
        worker.Kill();
        Assert.Equal(1, CountOccurrences(worker.Output, "training on the CPU"));
    }

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
