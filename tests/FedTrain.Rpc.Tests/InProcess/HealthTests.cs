using FedTrain.Rpc.Tests.Support;
using Grpc.Health.V1;

namespace FedTrain.Rpc.Tests.InProcess;

public sealed class HealthTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private GrpcChannel Channel => fixture.Channel;

    [Fact]
    public async Task The_overall_status_is_serving()
    {
        var response = await Channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task An_unknown_service_is_not_found()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest { Service = "no.such.Service" }));

        Assert.Equal(StatusCode.NotFound, ex.Status);
    }

    [Fact]
    public async Task A_registered_service_reports_its_status()
    {
        fixture.Server.Health.SetStatus("fedtrain.v1.Coordinator", ServingStatus.NotServing);

        var response = await Channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest { Service = "fedtrain.v1.Coordinator" });

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, response.Status);
    }

    [Fact]
    public async Task Watch_sends_the_current_status_then_changes()
    {
        const string service = "fedtrain.v1.Watched";
        fixture.Server.Health.SetStatus(service, ServingStatus.Serving);
        var seen = new List<HealthCheckResponse.Types.ServingStatus>();

        await foreach (var update in Channel.ServerStreamingAsync(HealthService.WatchMethod, new HealthCheckRequest { Service = service }))
        {
            seen.Add(update.Status);
            if (seen.Count == 1)
            {
                fixture.Server.Health.SetStatus(service, ServingStatus.NotServing);
            }
            else
            {
                break;
            }
        }

        Assert.Equal([HealthCheckResponse.Types.ServingStatus.Serving, HealthCheckResponse.Types.ServingStatus.NotServing], seen);
    }

    [Fact]
    public async Task Watch_of_an_unknown_service_says_service_unknown()
    {
        await foreach (var update in Channel.ServerStreamingAsync(HealthService.WatchMethod, new HealthCheckRequest { Service = "not.yet" }))
        {
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.ServiceUnknown, update.Status);
            break;
        }
    }
}
