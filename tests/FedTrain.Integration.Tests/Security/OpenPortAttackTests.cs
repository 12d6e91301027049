using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using FedTrain.Coordinator.Security;
using FedTrain.Protos.V1;
using FedTrain.TestSupport;
using Google.Protobuf;
using Grpc.Health.V1;
using Xunit.Abstractions;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// Attacks by a stranger who only knows the gRPC port, run against a real coordinator process while its two real
/// workers train: what the coordinator holds stays bounded, its log stays small, and the run finishes its rounds.
/// </summary>
public sealed class OpenPortAttackTests(ITestOutputHelper output)
{
    private const long MiB = 1 << 20;

    [Fact]
    public async Task Gzipped_4_MiB_health_Watches_and_stalled_half_messages_leave_the_coordinators_RSS_within_64_MiB_and_the_run_finishes()
    {
        const int rounds = 4;
        using var federation = await SmallFederation.StartAsync("attack-memory", rounds);
        await federation.WaitForRoundAsync(1);
        long baseRss = federation.CoordinatorRssBytes();
        long peakRss = baseRss;
        var statuses = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));

        // 4 connections × 25 Watch calls, each a ~4 KB gzip member that inflates to a 4 MiB service name; and on
        // 4 more connections 20 half-sent messages each: prefixes declaring 4 MiB (1 MiB sent) and 400 bytes (100 sent).
        byte[] bomb = GzipFrame(new HealthCheckRequest { Service = new string('w', (int)(4 * MiB) - 16) });
        var attack = new List<Task>();
        var clients = Enumerable.Range(0, 8).Select(_ => OneConnection()).ToList();
        for (int c = 0; c < 4; c++)
        {
            for (int i = 0; i < 25; i++)
            {
                attack.Add(CallAsync(clients[c], federation.Address, "/grpc.health.v1.Health/Watch", new ByteArrayContent(bomb), gzip: true, statuses, stop.Token));
            }
        }

        for (int c = 4; c < 8; c++)
        {
            for (int i = 0; i < 20; i++)
            {
                (string path, byte[] partial) = (i % 4) switch
                {
                    0 => ("/grpc.health.v1.Health/Check", HalfFrame(4 * MiB, MiB)),
                    1 => ("/fedtrain.v1.Enrollment/Enroll", HalfFrame(4 * MiB, MiB)),
                    2 => ("/grpc.health.v1.Health/Watch", HalfFrame(400, 100)),
                    _ => ("/fedtrain.v1.Enrollment/Enroll", HalfFrame(400, 100)),
                };
                attack.Add(CallAsync(clients[c], federation.Address, path, new StallingContent(partial, stop.Token), gzip: false, statuses, stop.Token));
            }
        }

        // Watch the coordinator's memory while the run trains two more rounds under attack.
        var rounds3 = federation.WaitForRoundAsync(3);
        while (!rounds3.IsCompleted)
        {
            peakRss = Math.Max(peakRss, federation.CoordinatorRssBytes());
            await Task.WhenAny(rounds3, Task.Delay(100));
        }

        await rounds3;
        peakRss = Math.Max(peakRss, federation.CoordinatorRssBytes());
        await stop.CancelAsync();
        await Task.WhenAll(attack);
        clients.ForEach(c => c.Dispose());
        await federation.FinishAsync(rounds);

        output.WriteLine($"coordinator RSS: {baseRss / (double)MiB:F1} MiB before the attack, peak {peakRss / (double)MiB:F1} MiB during it");
        output.WriteLine("attack calls: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}")));
        Assert.True(peakRss <= baseRss + (64 * MiB), $"RSS grew from {baseRss / MiB} MiB to {peakRss / MiB} MiB under attack");
        // The oversized requests were refused at their length prefix, not held.
        Assert.True(statuses.GetValueOrDefault("8") >= 100, "the gzip'd Watches and 4 MiB prefixes were not all refused RESOURCE_EXHAUSTED");
    }

    [Fact]
    public async Task Fifty_connections_hammering_fake_credentials_neither_stall_the_rounds_nor_flood_the_log()
    {
        const int rounds = 16;
        const int targetCalls = 10_000;
        using var federation = await SmallFederation.StartAsync("attack-auth", rounds);
        await federation.WaitForRoundAsync(3);
        int logBefore = federation.Coordinator.Output.Length;
        double cpuBefore = federation.CoordinatorCpuSeconds();
        int firstAttacked = LastCommitted(federation) + 2; // the round after this one is only partly under attack
        using var stop = new CancellationTokenSource();
        long calls = 0;
        var statuses = new ConcurrentDictionary<string, int>();

        // Each connection sends a Heartbeat about every 70 ms: half of them present the same invented credential
        // every time, half a fresh one each call. Well-formed, so each would otherwise reach the store and the log.
        var hammer = Enumerable.Range(0, 50).Select(c => Task.Run(async () =>
        {
            using var client = OneConnection();
            string fixedCredential = SecretToken.Create(SecretToken.CredentialKind).Token;
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(70));
            byte[] body = Frame(new HeartbeatRequest { WorkerId = "worker-1" });
            while (!stop.IsCancellationRequested)
            {
                string credential = c % 2 == 0 ? fixedCredential : SecretToken.Create(SecretToken.CredentialKind).Token;
                var content = new ByteArrayContent(body);
                await CallAsync(client, federation.Address, "/fedtrain.v1.Coordinator/Heartbeat", content, gzip: false, statuses, stop.Token, "Bearer " + credential);
                Interlocked.Increment(ref calls);
                try
                {
                    await pace.WaitForNextTickAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        })).ToList();

        // Hammer for up to 10,000 calls, but stop in time to leave rounds after the hammering to compare with.
        var late = federation.WaitForRoundAsync(rounds - 3);
        while (Interlocked.Read(ref calls) < targetCalls && !late.IsCompleted)
        {
            await Task.WhenAny(late, Task.Delay(200));
        }

        int lastAttacked = LastCommitted(federation);
        int logGrowth = federation.Coordinator.Output.Length - logBefore;
        double cpu = federation.CoordinatorCpuSeconds() - cpuBefore;
        await stop.CancelAsync();
        await Task.WhenAll(hammer);
        double[] durations = await federation.FinishAsync(rounds);

        // Round 1 pays for start-up (JIT, first model build). The baseline is every other round that ran wholly
        // before or after the hammering (so a machine getting busier or quieter meanwhile cancels out); the
        // attacked rounds ran wholly under it.
        var attackedRounds = Enumerable.Range(firstAttacked, Math.Max(0, lastAttacked - firstAttacked + 1)).ToArray();
        var baselineRounds = Enumerable.Range(2, firstAttacked - 3).Concat(Enumerable.Range(lastAttacked + 2, Math.Max(0, rounds - lastAttacked - 1))).ToArray();
        Assert.True(attackedRounds.Length >= 2, $"only rounds {string.Join(",", attackedRounds)} ran wholly under the hammering (rounds took {string.Join(", ", durations.Select(d => d.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))} s)");
        double baseline = Median([.. baselineRounds.Select(r => durations[r - 1])]);
        double attacked = Median([.. attackedRounds.Select(r => durations[r - 1])]);
        output.WriteLine($"{calls} hammering calls; coordinator CPU {cpu:F1} s meanwhile; round seconds {string.Join(", ", durations.Select(d => d.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
        output.WriteLine($"attacked rounds {string.Join(",", attackedRounds)}, baseline rounds {string.Join(",", baselineRounds)}");
        output.WriteLine($"median round: {baseline:F2} s without, {attacked:F2} s under the hammering ({(attacked / baseline) - 1:P0}); log grew {logGrowth} chars");
        output.WriteLine("hammering calls: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}")));
        // The hammering lasts from round 4 to at most round 13, at about 700 calls a second: on a quiet machine,
        // whose rounds take half a second, that is some 3,000 calls; 2,000 is enough to tell a log line per call
        // (about 130 characters each, 260 KB) from the aggregated lines.
        Assert.True(calls >= 2000, $"only {calls} hammering calls were made");
        // Every hammering call was answered, and answered with a refusal: UNAUTHENTICATED for a credential looked up
        // or remembered unknown, RESOURCE_EXHAUSTED once the address's lookup allowance is spent. None was reset or
        // let through, and none was held, beyond the one call per connection in flight when the hammering stopped.
        const string cutOff = "held until the attack stopped";
        Assert.All(statuses.Keys, s => Assert.Contains(s, new[] { "16", "8", cutOff }));
        Assert.True(statuses.GetValueOrDefault(cutOff) <= 50, $"{statuses.GetValueOrDefault(cutOff)} calls were held until the hammering stopped");
        Assert.Equal(Interlocked.Read(ref calls), statuses.Values.Sum());
        Assert.True(statuses.GetValueOrDefault("8") > 0, "the address's lookup allowance never ran out");
        Assert.True(logGrowth < 64 * 1024, $"the log grew by {logGrowth} characters under {calls} hammering calls");
        Assert.Contains("more calls of 127.0.0.1", federation.Coordinator.Output, StringComparison.Ordinal);
        // No stall: rounds kept committing while the hammering went on (at least two wholly under it, asserted
        // above), and FinishAsync has checked that every round of the run committed with both workers' updates, so
        // no worker's heartbeat or upload was refused or timed out behind the hammering. How much slower the rounds
        // ran is printed, not asserted: the hammering client and both CPU-bound workers share this machine's cores
        // with whatever else runs on it, so a wall-clock ratio here measures the machine's load as much as the
        // coordinator (it has ranged from -11 % to +107 % on the same code).
    }

    private static int LastCommitted(SmallFederation federation) =>
        System.Text.RegularExpressions.Regex.Matches(federation.Coordinator.Output, @"Round (\d+) committed")
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0)
            .Max();

    private static HttpClient OneConnection() => new(new SocketsHttpHandler { UseProxy = false, EnableMultipleHttp2Connections = false })
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Sends one call and reads it to its end (or until the attack stops); counts its gRPC status.</summary>
    private static async Task CallAsync(
        HttpClient client, Uri address, string path, HttpContent content, bool gzip, ConcurrentDictionary<string, int> statuses, CancellationToken stop, string? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.ParseAdd("trailers");
        if (gzip)
        {
            request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip");
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("authorization", authorization);
        }

        string status;
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
            await response.Content.CopyToAsync(Stream.Null, stop);
            status = response.Headers.TryGetValues("grpc-status", out var h) ? h.First()
                : response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First() : "none";
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            status = "held until the attack stopped";
        }
        catch (HttpRequestException)
        {
            status = "connection refused or reset";
        }

        statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
    }

    private static byte[] Frame(IMessage message)
    {
        byte[] payload = message.ToByteArray();
        byte[] frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    private static byte[] GzipFrame(IMessage message)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize))
        {
            message.WriteTo(gzip);
        }

        byte[] payload = compressed.ToArray();
        byte[] frame = new byte[5 + payload.Length];
        frame[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>The first <paramref name="sent"/> bytes of a message whose prefix declares <paramref name="declared"/> bytes.</summary>
    private static byte[] HalfFrame(long declared, long sent)
    {
        byte[] frame = new byte[5 + sent];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)declared);
        return frame;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
