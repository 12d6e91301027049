using FedTrain.Integration.Tests.Security;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace FedTrain.Integration.Tests.Transport;

/// <summary>
/// The health and reflection services of a real coordinator (in this process, authentication on) through
/// Grpc.Net.Client's generated clients: health statuses, the caps on Watch streams per connection and per address,
/// Watches ending when the coordinator stops, and reflection served only when asked for.
/// </summary>
public sealed class HealthAndReflectionTests
{
    [Fact]
    public async Task Health_Check_answers_SERVING_for_the_server_and_its_service_and_NOT_FOUND_for_others()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("health-check");
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        var health = new Health.HealthClient(channel);

        var server = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
        var service = await health.CheckAsync(new HealthCheckRequest { Service = "fedtrain.v1.Coordinator" }, deadline: DateTime.UtcNow.AddSeconds(10));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(
            new HealthCheckRequest { Service = "no.such.Service" }, deadline: DateTime.UtcNow.AddSeconds(10)).ResponseAsync);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, server.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, service.Status);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_Watch_beyond_the_per_connection_cap_is_refused_and_admitted_again_once_one_ends()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("health-watch", o => o.Security.Limits.MaxHealthWatchesPerConnection = 2);
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        var health = new Health.HealthClient(channel);
        using var first = await WatchAsync(health);
        using var second = await WatchAsync(health);

        var refused = await Assert.ThrowsAsync<RpcException>(async () => (await WatchAsync(health)).Dispose());
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("at most 2", refused.Status.Detail, StringComparison.Ordinal);

        // Ending a Watch gives its place back once the server has seen the call end.
        first.Dispose();
        using var again = await RetryAsync(() => WatchAsync(health), StatusCode.ResourceExhausted);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, again.ResponseStream.Current.Status);
    }

    [Fact]
    public async Task Watches_beyond_the_per_address_cap_are_refused_on_any_connection()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("health-watch-address", o =>
        {
            o.Security.Limits.MaxHealthWatchesPerConnection = 4;
            o.Security.Limits.MaxHealthWatchesPerAddress = 3;
        });
        // Separate channels, so separate connections from the same address.
        using var one = GrpcChannel.ForAddress(coordinator.Address);
        using var two = GrpcChannel.ForAddress(coordinator.Address);
        using var a = await WatchAsync(new Health.HealthClient(one));
        using var b = await WatchAsync(new Health.HealthClient(one));
        using var c = await WatchAsync(new Health.HealthClient(two));

        var refused = await Assert.ThrowsAsync<RpcException>(async () => (await WatchAsync(new Health.HealthClient(two))).Dispose());

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("from this address (at most 3)", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_the_coordinator_ends_open_Watches_with_NOT_SERVING_instead_of_waiting_for_them()
    {
        var coordinator = await SecureCoordinator.StartAsync("health-watch-stop");
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        using var watch = await WatchAsync(new Health.HealthClient(channel));

        var stopping = coordinator.DisposeAsync().AsTask();
        var seen = new List<HealthCheckResponse.Types.ServingStatus>();
        while (await watch.ResponseStream.MoveNext(CancellationToken.None))
        {
            seen.Add(watch.ResponseStream.Current.Status);
        }

        Assert.Equal([HealthCheckResponse.Types.ServingStatus.NotServing], seen);
        Assert.Equal(StatusCode.OK, watch.GetStatus().StatusCode);
        // The host's shutdown timeout is 30 s: a Watch it had to wait for would hold the stop that long.
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Reflection_is_off_by_default()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("reflection-off");
        string credential = await coordinator.EnrolAsync("reflector");
        using var channel = GrpcChannel.ForAddress(coordinator.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => ListServicesAsync(channel, credential));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Reflection_when_turned_on_lists_the_coordinator_and_health_services()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("reflection-on", o => o.GrpcReflection = true);
        string credential = await coordinator.EnrolAsync("reflector");
        using var channel = GrpcChannel.ForAddress(coordinator.Address);

        var services = await ListServicesAsync(channel, credential);

        Assert.Contains("fedtrain.v1.Coordinator", services);
        Assert.Contains("grpc.health.v1.Health", services);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", services);
    }

    /// <summary>Opens a Watch and reads its first status, so the call is known to be admitted.</summary>
    private static async Task<AsyncServerStreamingCall<HealthCheckResponse>> WatchAsync(Health.HealthClient health)
    {
        var call = health.Watch(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
        try
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "the Watch ended without a status");
            return call;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>Retries <paramref name="attempt"/> while it fails with <paramref name="transient"/>, for up to 10 s.</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> attempt, StatusCode transient)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (RpcException ex) when (ex.StatusCode == transient && DateTime.UtcNow < until)
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task<List<string>> ListServicesAsync(GrpcChannel channel, string credential)
    {
        var reflection = new ServerReflection.ServerReflectionClient(channel);
        using var call = reflection.ServerReflectionInfo(SecureCoordinator.Bearer(credential), DateTime.UtcNow.AddSeconds(10));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "no reflection response");
        return [.. call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name)];
    }
}
