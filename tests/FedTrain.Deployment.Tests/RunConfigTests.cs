using FedTrain.Cli.Commands;
using FedTrain.Coordinator;
using FedTrain.Deployment.Tests.Support;

namespace FedTrain.Deployment.Tests;

/// <summary>The run configurations the ConfigMaps carry are ones the coordinator accepts at start.</summary>
public sealed class RunConfigTests
{
    [Theory]
    [InlineData("k8s/base/coordinator/coordinator.json")]
    [InlineData("k8s/overlays/dev/coordinator.json")]
    public void Coordinator_accepts_the_run_config(string file)
    {
        var options = new CoordinatorOptions();
        CoordinatorConfigFile.Load(RepoPaths.Combine(file)).ApplyTo(options);
        options.Validate();

        // The Services and probes name these ports and the StatefulSet mounts its volume here.
        Assert.Equal(50051, options.GrpcPort);
        Assert.Equal(8080, options.HttpPort);
        Assert.Equal("0.0.0.0", options.BindAddress);
        Assert.StartsWith("/var/lib/fedtrain/", options.RunDirectory, StringComparison.Ordinal);
    }
}
