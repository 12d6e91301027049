using FedTrain.Coordinator.Grpc;
using FedTrain.Coordinator.Strategies;
using FedTrain.Core.Models;

namespace FedTrain.Coordinator.Tests;

/// <summary>FedProx from the strategy configuration to the training hyperparameters a worker receives.</summary>
public sealed class FedProxConfigTests
{
    [Fact]
    public void Fedprox_averages_like_fedavg_and_sends_its_mu_to_the_workers()
    {
        var options = new StrategyOptions { Name = "fedprox" };
        options.Parameters["proximal_mu"] = 0.1;
        using var strategy = StrategyFactory.Create(options, minFitClients: 2, length: 4, localLearningRate: 0.05, spillDirectory: Path.GetTempPath());
        Assert.Equal(0.1, strategy.ProximalMu);
        Assert.Equal("fedprox(proximal_mu=0.1)", strategy.Description);

        var sent = ProtoMapping.ToProto(TrainingConfig.Default, roundSeed: 9, strategyProximalMu: strategy.ProximalMu);
        Assert.Equal(0.1f, sent.ProximalMu);
        Assert.Equal(9UL, sent.Seed);
    }

    [Fact]
    public void Default_mu_and_a_configured_mu_without_fedprox()
    {
        using var strategy = StrategyFactory.Create(new StrategyOptions { Name = "fedprox" }, 2, 4, 0.05, Path.GetTempPath());
        Assert.Equal(0.01, strategy.ProximalMu);
        using var fedavg = StrategyFactory.Create(new StrategyOptions(), 2, 4, 0.05, Path.GetTempPath());
        Assert.Equal(0, fedavg.ProximalMu);
        Assert.Equal(0.25f, ProtoMapping.ToProto(TrainingConfig.Default with { ProximalMu = 0.25f }, 1, fedavg.ProximalMu).ProximalMu);
        Assert.Equal(0f, ProtoMapping.ToProto(TrainingConfig.Default, 1, fedavg.ProximalMu).ProximalMu);
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    public void Negative_or_undefined_mu_is_refused(double mu)
    {
        var options = new StrategyOptions { Name = "fedprox" };
        options.Parameters["proximal_mu"] = mu;
        var error = Assert.Throws<ArgumentException>(() => StrategyFactory.Validate(options, 2));
        Assert.Contains("proximal_mu must be a finite number >= 0", error.Message, StringComparison.Ordinal);
    }
}
