using System.Net;
using System.Text.Json;
using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// A registration is checked whole before anything changes, on a real coordinator: numbers that overflow when summed
/// are refused and leave the registry, the database and <c>/api/workers</c> as they were; free text a worker sends is
/// cleaned and bounded before it is shown or stored.
/// </summary>
public sealed class RegistrationIntegrityTests
{
    [Fact]
    public async Task Example_counts_that_overflow_their_sum_are_refused_and_api_workers_keeps_working()
    {
        // Authentication off: any worker may name many clients (up to the per-worker cap), the widest door for this.
        await using var coordinator = await SecureCoordinator.StartAsync("overflow", o => o.Security.Auth.Enabled = false);
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        const long Huge = 1L << 62;
        var request = new RegisterRequest { WorkerId = "big", Data = Summary(1) };
        request.Clients.Add(new ClientData { ClientId = "big-1", Data = Summary(Huge) });
        request.Clients.Add(new ClientData { ClientId = "big-2", Data = Summary(Huge) });

        var refused = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(CoordinatorMethods.Register, request));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("add up to more than 2^63 - 1", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(await WorkersAsync(coordinator));
        // A histogram whose sum overflows cannot match its count either.
        var histogram = new RegisterRequest { WorkerId = "big", Data = new DataSummary { ExampleCount = 5 } };
        histogram.Data.LabelHistogram.AddRange([long.MaxValue, long.MaxValue, 7]);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(CoordinatorMethods.Register, histogram))).StatusCode);

        request.Clients[1].Data = Summary(Huge - 1);
        await channel.UnaryAsync(CoordinatorMethods.Register, request);
        var worker = Assert.Single(await WorkersAsync(coordinator));
        Assert.Equal(Huge + (Huge - 1), worker.GetProperty("examples").GetInt64());
    }

    [Fact]
    public async Task A_device_name_with_control_characters_is_cleaned_and_cut_before_it_is_shown_or_logged()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("device-text", o => o.Security.Auth.Enabled = false);
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        string device = "cuda:0\r\n2026-01-01 ERROR forged\u001b[2J\u0007\u202eevil" + new string('y', 100_000);
        var request = new RegisterRequest { WorkerId = "w1", Data = Summary(3), Capabilities = new Capabilities { Device = device } };

        await channel.UnaryAsync(CoordinatorMethods.Register, request);

        string shown = Assert.Single(await WorkersAsync(coordinator)).GetProperty("device").GetString()!;
        Assert.StartsWith("cuda:0 2026-01-01 ERROR forged [2J evil", shown, StringComparison.Ordinal);
        Assert.True(shown.Length <= 64, shown);
        Assert.EndsWith("…", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(shown, c => char.IsControl(c) || c == '\u202e');
        string logged = Assert.Single(coordinator.Logs.Lines, l => l.Contains("Worker w1 registered", StringComparison.Ordinal));
        Assert.Contains(shown, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(coordinator.Logs.Lines, l => l.Contains('\u001b', StringComparison.Ordinal) || l.Contains("\r\n2026", StringComparison.Ordinal));
    }

    private static DataSummary Summary(long examples)
    {
        var summary = new DataSummary { ExampleCount = examples };
        summary.LabelHistogram.Add(examples);
        return summary;
    }

    private static async Task<JsonElement[]> WorkersAsync(SecureCoordinator coordinator)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{coordinator.Host.HttpPort}") };
        using var response = await http.GetAsync(new Uri("/api/workers", UriKind.Relative));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        return [.. document.RootElement.GetProperty("workers").EnumerateArray().Select(w => w.Clone())];
    }
}
