using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// Random and mutated gRPC frames and protobuf messages, sent over raw HTTP/2 at a real coordinator (Kestrel on
/// loopback, authentication on, a valid credential on most calls so that messages reach the parsers and handlers).
/// Every call must end within its deadline with a well-formed gRPC status; the server must stay up, keep
/// serving honest calls and keep its memory bounded. Seeded: a failure reproduces with the same seed.
/// </summary>
public sealed class GrpcFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261201;
    private const int Frames = 100_000;
    private const int Concurrency = 32;
    private static readonly TimeSpan CallBound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Fuzz_100000_frames_seed_20261201_every_answer_is_a_grpc_status_and_the_server_survives()
    {
        await using var coordinator = await SecureCoordinator.StartAsync(
            "fuzz",
            o =>
            {
                // The fuzzer is one worker sending as fast as it can; the limits have their own tests.
                o.Security.Limits.RequestsPerSecond = 1e9;
                o.Security.Limits.RequestBurst = int.MaxValue;
                o.Security.Limits.MaxConcurrentStreamsPerWorker = 1024;
            },
            LogLevel.Error); // every refusal is logged; keeping 100,000 lines would blur the memory figure

        string credential = await coordinator.EnrolAsync("fuzz");
        // Each call's bytes come from its own generator seeded with (seed, index): reproducible whatever the
        // scheduling, and nothing is held beyond the calls in flight.
        int frames = 0;
        int calls = 0;
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var statuses = new ConcurrentDictionary<int, int>();
        using var client = RawGrpc.CreateClient();
        var clock = Stopwatch.StartNew();
        var sources = Enumerable.Range(0, int.MaxValue).TakeWhile(_ => Volatile.Read(ref frames) < Frames);
        await Parallel.ForEachAsync(sources, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (index, _) =>
        {
            var call = new FuzzFrameGenerator(HashCode.Combine(Seed, index), "fuzz").NextCall(credential, out int count);
            Interlocked.Add(ref frames, count);
            Interlocked.Increment(ref calls);
            using var bound = new CancellationTokenSource(CallBound);
            try
            {
                var (status, _) = await RawGrpc.CallAsync(client, coordinator.Address, call.Path, call.Body, call.Authorization, bound.Token, call.Headers);
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            }
            catch (OperationCanceledException) when (bound.IsCancellationRequested)
            {
                Assert.Fail($"Call {index} to {call.Path} did not finish within {CallBound.TotalSeconds} s (seed {Seed}).");
            }
        });
        clock.Stop();
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);

        output.WriteLine($"seed {Seed}: {frames} frames in {calls} calls, {clock.Elapsed.TotalSeconds:F1} s ({calls / clock.Elapsed.TotalSeconds:F0} calls/s)");
        output.WriteLine("statuses: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(StatusCode)s.Key}={s.Value}")));
        output.WriteLine($"managed heap: {memoryBefore / 1048576.0:F1} MiB before, {memoryAfter / 1048576.0:F1} MiB after");
        Assert.True(frames >= Frames);
        Assert.Equal(calls, statuses.Values.Sum());
        // The fuzz reached past authentication into parsing and the handlers, not just the gate.
        foreach (var reached in new[] { StatusCode.Internal, StatusCode.InvalidArgument, StatusCode.FailedPrecondition, StatusCode.Unauthenticated, StatusCode.ResourceExhausted })
        {
            Assert.True(statuses.ContainsKey((int)reached), $"no call ended {reached}: the fuzz did not reach that far");
        }

        // UNKNOWN would mean a handler threw something unforeseen.
        Assert.False(statuses.ContainsKey((int)StatusCode.Unknown), "a call ended UNKNOWN: a handler threw an unexpected exception\n" + string.Join("\n", coordinator.Logs.Lines.Where(l => l.Contains("Error", StringComparison.Ordinal) || l.Contains("xception", StringComparison.Ordinal)).Take(10)));
        Assert.True(memoryAfter < memoryBefore + (64L << 20), $"managed heap grew from {memoryBefore} to {memoryAfter} bytes");
        Assert.DoesNotContain(coordinator.Logs.Lines, l => l.StartsWith("Critical", StringComparison.Ordinal) || l.Contains("answering UNKNOWN", StringComparison.Ordinal));

        // Still serving: health, and an honest worker's call.
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        var heartbeat = await channel.UnaryAsync(
            CoordinatorMethods.Heartbeat, new HeartbeatRequest { WorkerId = "fuzz" }, new CallOptions(SecureCoordinator.Bearer(credential), DateTime.UtcNow.AddSeconds(10)));
        Assert.NotNull(heartbeat);
    }
}
