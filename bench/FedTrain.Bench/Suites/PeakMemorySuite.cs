using System.Globalization;
using System.Runtime.CompilerServices;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.Transport;
using Grpc.Net.Client;

namespace FedTrain.Bench.Suites;

/// <summary>
/// Peak resident memory (VmHWM) of a real coordinator process through a FedAvg round whose N updates of a
/// P-parameter model all arrive at once over gRPC from this process, against 3 × the model size plus the fixed base:
/// the peak of the same run with a tiny model.
/// </summary>
internal sealed class PeakMemorySuite : IBenchSuite
{
    private const int Examples = 100;

    public string Name => "memory";

    public string Description => "coordinator peak RSS during FedAvg of N concurrent gRPC uploads, against 3x the model plus the base";

    public async IAsyncEnumerable<BenchRow> RunAsync(BenchContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        int clients = context.MemoryClients ?? (context.Quick ? 4 : 32);
        int hidden = context.MemoryParameters is { } wanted ? HiddenFor(wanted) : context.Quick ? 2_000 : 15_900;
        var (basePeak, baseParameters) = await RunOnceAsync(context, "base", clients, 16, cancellationToken).ConfigureAwait(false);
        var (peak, parameters) = await RunOnceAsync(context, "model", clients, hidden, cancellationToken).ConfigureAwait(false);
        long modelBytes = parameters * sizeof(float);
        double bound = basePeak + (3.0 * modelBytes);
        context.Log.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"memory: base {basePeak / 1e6:F0} MB with {baseParameters} parameters; {parameters} parameters ({modelBytes / 1e6:F0} MB): peak {peak / 1e6:F0} MB = base + {(peak - basePeak) / (double)modelBytes:F2} x model"));
        yield return BenchRow.LowerIsBetter(
            Name, string.Create(CultureInfo.InvariantCulture, $"coordinator peak RSS N={clients} P={parameters / 1e6:F0}M"),
            peak / 1e6, "MB", bound / 1e6, "MB (3x model + base)");
    }

    /// <summary>
    /// The hidden width that gives the zoo CNN (conv 32, 64 on 28×28) about <paramref name="parameters"/> parameters:
    /// 18,826 for the rest plus 3,147 per hidden unit (3,136 inputs, its bias and 10 outputs); 15,900 → 50M.
    /// </summary>
    private static int HiddenFor(long parameters) => (int)Math.Clamp((parameters - 18_826) / 3_147, 16, int.MaxValue / 4_096);

    private static async Task<(long PeakBytes, long Parameters)> RunOnceAsync(
        BenchContext context, string label, int clients, int hidden, CancellationToken cancellationToken)
    {
        string runDirectory = Path.Combine(context.ScratchDirectory, "memory-" + label);
        // One bench worker uploads for every client at once, plus its heartbeat: more streams than the per-worker default.
        string config = Path.Combine(context.ScratchDirectory, $"memory-{label}.json");
        await File.WriteAllTextAsync(
            config,
            """{"security": {"limits": {"max_concurrent_streams_per_worker": """ + (clients + 8).ToString(CultureInfo.InvariantCulture) + "}}}",
            cancellationToken).ConfigureAwait(false);
        using var coordinator = CoordinatorProcess.Start(context.FedtrainExecutable, runDirectory,
        [
            "--config", config,
            "--rounds", "1", "--min-workers", "1", "--min-fit-clients", clients.ToString(CultureInfo.InvariantCulture),
            "--fraction-evaluate", "0", "--test-limit", "100", "--hidden", hidden.ToString(CultureInfo.InvariantCulture),
            "--round-timeout", "900",
        ]);
        await coordinator.WaitListeningAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        var sampling = coordinator.SampleUntilExitAsync(TimeSpan.FromMinutes(20), cancellationToken);
        using var channel = GrpcChannel.ForAddress(coordinator.Address, new GrpcChannelOptions { HttpHandler = GrpcHttpHandler.Create(), DisposeHttpClient = true, MaxReceiveMessageSize = 16 << 20 });
        var uploader = new BenchUploader(channel, "bench-uploader");
        string runId = await uploader.RegisterAsync(clients, Examples, cancellationToken).ConfigureAwait(false);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var heartbeat = uploader.HeartbeatAsync(done.Token);
        long parameters;
        try
        {
            var assignment = await uploader.WaitForAssignmentAsync(runId, cancellationToken).ConfigureAwait(false);
            parameters = assignment.ParameterCount;
            var delta = new float[parameters];
            for (long i = 0; i < parameters; i++)
            {
                delta[i] = ((i % 977) - 488) * 1e-6f;
            }

            var header = PayloadCodec.CreateHeader(delta, parameters, PayloadCodec.DefaultChunkBytes, checksum: FedTrain.Protos.V1.PayloadChecksum.Xxh3128);
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            await Task.WhenAll(assignment.Clients.Select(client => uploader.UploadAsync(assignment, client, Examples, delta, header, cancellationToken)))
                .ConfigureAwait(false);
            context.Log.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"memory: {label}: {clients} uploads of {parameters * 4 / 1e6:F0} MB in {System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s"));
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
        }

        int exit = await sampling.ConfigureAwait(false);
        if (exit != 0)
        {
            throw new InvalidOperationException($"The coordinator exited with {exit}:\n{coordinator.Output}");
        }

        return (coordinator.PeakBytes, parameters);
    }
}
