using System.Net;
using FedTrain.Coordinator.Security;
using FedTrain.Protos;
using FedTrain.Protos.Payloads;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// The clients a worker may speak for are those its enrolment granted, on a real coordinator with authentication on:
/// another worker's client, more clients than enrolled, or a flood of invented clients are refused at Register, and a
/// worker cannot report, fail or upload for a client that is not its own.
/// </summary>
public sealed class ClientBindingTests
{
    [Fact]
    public async Task A_worker_cannot_register_report_or_upload_for_another_workers_client()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("binding-round", o =>
        {
            o.MinWorkers = 2;
            o.MinFitClients = 2;
            o.Rounds = 1;
            o.QuorumFraction = 0.5;
            o.FractionEvaluate = 0;
            o.RoundTimeout = TimeSpan.FromSeconds(120);
        });
        var alpha = new HandMadeWorker(coordinator, "alpha", await coordinator.EnrolAsync("alpha"));
        var mallory = new HandMadeWorker(coordinator, "mallory", await coordinator.EnrolAsync("mallory"));
        await alpha.RegisterAsync("alpha");
        await mallory.RegisterAsync("mallory");
        var assignment = await alpha.AssignmentAsync();
        Assert.Equal(assignment.Round, (await mallory.AssignmentAsync()).Round);

        // Registering alpha's client: refused with the reason, and alpha still holds it.
        var register = await Assert.ThrowsAsync<RpcException>(() => mallory.RegisterAsync("alpha"));
        Assert.Equal(StatusCode.PermissionDenied, register.StatusCode);
        Assert.Contains("client alpha is not one of the clients this worker is enrolled for", register.Status.Detail, StringComparison.Ordinal);

        // Failing, reporting for and uploading for alpha's client: each refused with PERMISSION_DENIED and the reason.
        var fail = new MetricsReport { WorkerId = "mallory", ClientId = "alpha", RunId = assignment.RunId, Round = assignment.Round, Failure = "out of memory" };
        AssertForeign(await Assert.ThrowsAsync<RpcException>(() => mallory.Channel.UnaryAsync(CoordinatorMethods.ReportMetrics, fail, mallory.Auth)));
        var metrics = new MetricsReport { WorkerId = "mallory", ClientId = "alpha", RunId = assignment.RunId, Round = assignment.Round, ExampleCount = 1 };
        AssertForeign(await Assert.ThrowsAsync<RpcException>(() => mallory.Channel.UnaryAsync(CoordinatorMethods.ReportMetrics, metrics, mallory.Auth)));
        var delta = new float[assignment.ParameterCount];
        AssertForeign(await Assert.ThrowsAsync<RpcException>(() => mallory.UploadAsync(assignment, "alpha", delta)));
        Assert.Empty(Directory.GetFiles(Path.Combine(coordinator.RunDirectory, "spool"), "*alpha*"));

        // Alpha's update is the one that counts; mallory's own failure report (with a forged log line and terminal
        // escapes in it) fails only mallory, and reaches the record cleaned.
        Assert.True((await alpha.UploadAsync(assignment, "alpha", delta)).Accepted);
        var ownFailure = new MetricsReport
        {
            WorkerId = "mallory", RunId = assignment.RunId, Round = assignment.Round,
            Failure = "oom\n2026-01-01 INFO forged line\u001b[2J\u202e" + new string('x', 5000),
        };
        await mallory.Channel.UnaryAsync(CoordinatorMethods.ReportMetrics, ownFailure, mallory.Auth);
        await coordinator.Host.Completion.WaitAsync(TimeSpan.FromSeconds(120));
        var round = Assert.Single(coordinator.Host.Orchestrator.CommittedRounds);
        Assert.Equal("alpha", Assert.Single(round.Participants).ClientId);
        string failure = Assert.Single(round.Failures);
        Assert.StartsWith("mallory: worker reported: oom 2026-01-01 INFO forged line", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(failure, c => char.IsControl(c) || c == '\u202e');
        Assert.True(failure.Length < 300, failure);
        Assert.Contains(coordinator.Logs.Lines, l => l.Contains("client alpha is not one of the clients worker mallory registered", StringComparison.Ordinal));
        Assert.DoesNotContain(coordinator.Logs.Lines, l => l.Contains('\u001b', StringComparison.Ordinal) || l.Contains("oom\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_worker_is_refused_more_clients_than_its_enrolment_grants()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("binding-count");
        var prefixed = new HandMadeWorker(coordinator, "site-a", await coordinator.EnrolAsync("site-a", ClientGrant.WithPrefix("site-a.", 2)));
        var listed = new HandMadeWorker(coordinator, "site-b", await coordinator.EnrolAsync("site-b", ClientGrant.Explicit(["client-00001", "client-00003"])));

        var tooMany = await Assert.ThrowsAsync<RpcException>(() => prefixed.RegisterAsync("site-a.1", "site-a.2", "site-a.3"));
        Assert.Equal(StatusCode.PermissionDenied, tooMany.StatusCode);
        Assert.Contains("enrolled for 2 client(s); the registration names 3", tooMany.Status.Detail, StringComparison.Ordinal);
        var outside = await Assert.ThrowsAsync<RpcException>(() => prefixed.RegisterAsync("site-a.1", "site-b.1"));
        Assert.Contains("client site-b.1 is not one of the clients", outside.Status.Detail, StringComparison.Ordinal);
        var unlisted = await Assert.ThrowsAsync<RpcException>(() => listed.RegisterAsync("client-00001", "client-00002"));
        Assert.Equal(StatusCode.PermissionDenied, unlisted.StatusCode);
        // Its own id is not granted either once the enrolment names clients.
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => listed.RegisterAsync())).StatusCode);

        await prefixed.RegisterAsync("site-a.1", "site-a.2");
        await listed.RegisterAsync("client-00003", "client-00001");
        Assert.Equal(["site-a", "site-b"], await WorkersAsync(coordinator));
    }

    [Fact]
    public async Task Four_hundred_thousand_invented_clients_in_one_register_are_refused_and_change_nothing()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("binding-flood", o => o.MaxMessageBytes = 16 << 20);
        // Even an enrolment that grants them all does not lift the per-worker cap.
        var flood = new HandMadeWorker(coordinator, "flood", await coordinator.EnrolAsync("flood", ClientGrant.WithPrefix("f", 1_000_000)));
        string[] invented = Enumerable.Range(0, 400_000).Select(i => "f" + i.ToString("x", System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        var refused = await Assert.ThrowsAsync<RpcException>(() => flood.RegisterAsync(invented));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("at most 1000 clients (security.limits.max_clients_per_worker); this registration names 400000", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(await WorkersAsync(coordinator));
        await flood.RegisterAsync(invented[..1000]);
        Assert.Equal(["flood"], await WorkersAsync(coordinator));
    }

    private static void AssertForeign(RpcException refusal)
    {
        Assert.Equal(StatusCode.PermissionDenied, refusal.StatusCode);
        Assert.Contains("client alpha is not one of the clients worker mallory registered", refusal.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>The worker ids <c>/api/workers</c> lists.</summary>
    private static async Task<string[]> WorkersAsync(SecureCoordinator coordinator)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{coordinator.Host.HttpPort}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/workers", UriKind.Relative));
        request.Headers.Authorization = new("Bearer", (await File.ReadAllTextAsync(coordinator.Host.OperatorTokenPath!)).Trim());
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("worker_id").GetString()!)];
    }
}
