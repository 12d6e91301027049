using FedTrain.Core.Strategies;

namespace FedTrain.Aggregation.Tests;

public sealed class QFedAvgTests
{
    [Fact]
    public void Q_zero_is_the_unweighted_mean_of_the_deltas()
    {
        // hₖ = L for q = 0, so the step is L·ΣΔₖ / (n·L), whatever the losses (including a zero loss).
        var q = new QFedAvg(2, q: 0, localLearningRate: 0.1);
        q.Add([1, 2], loss: 5);
        q.Add([3, -2], loss: 0);
        float[] model = [10, 10];
        q.Apply(model);
        TestData.AssertClose([12, 10], model, 1e-6);
    }

    [Fact]
    public void With_example_weights_q_zero_is_fedavg()
    {
        // pₖ = nₖ scales both Δₖ' and hₖ: the step is Σnₖ·Δₖ / Σnₖ, FedAvg's example-weighted mean.
        var q = new QFedAvg(2, q: 0, localLearningRate: 0.1);
        q.Add([1, 2], loss: 5, weight: 300);
        q.Add([3, -2], loss: 0, weight: 100);
        float[] model = [10, 10];
        q.Apply(model);
        TestData.AssertClose([11.5, 11], model, 1e-6);
    }

    [Fact]
    public void Weights_and_losses_combine_by_hand()
    {
        // q = 1, L = 1. Client 1: Δ = [1, 0], F = 2, p = 3: p·F·Δ = [6, 0], h = 3·(1·1 + 1·2) = 9.
        // Client 2: Δ = [0, 2], F = 1, p = 1: p·F·Δ = [0, 2], h = 1·(1·4 + 1·1) = 5. Step = [6, 2] / 14.
        var q = new QFedAvg(2, q: 1, localLearningRate: 1);
        q.Add([1, 0], loss: 2, weight: 3);
        q.Add([0, 2], loss: 1, weight: 1);
        Assert.Equal(14, q.HSum, 1e-9);
        var step = new float[2];
        q.WriteStep(step);
        TestData.AssertClose([6.0 / 14, 2.0 / 14], step, 1e-6);
    }

    [Fact]
    public void Q_one_matches_the_papers_formulas_by_hand()
    {
        // L = 10. Client 1: Δ = [0.1, 0], F = 2 → Δw = [−1, 0], Δ' = [−2, 0], h = 1·2⁰·1 + 10·2 = 21.
        // Client 2: Δ = [0, −0.2], F = 0.5 → Δw = [0, 2], Δ' = [0, 1], h = 1·0.5⁰·4 + 10·0.5 = 9.
        // w ← w − [−2, 1] / 30 = w + [1/15, −1/30].
        var q = new QFedAvg(2, q: 1, localLearningRate: 0.1);
        q.Add([0.1f, 0], loss: 2);
        q.Add([0, -0.2f], loss: 0.5);
        Assert.Equal(30, q.HSum, 1e-5);
        var step = new float[2];
        q.WriteStep(step);
        TestData.AssertClose([1.0 / 15, -1.0 / 30], step, 1e-6);
    }

    [Fact]
    public void Q_two_with_one_client_by_hand()
    {
        // L = 1, Δ = [1, 0], F = 4: F^q = 16, h = 2·4·1 + 1·16 = 24, step = 16/24·Δ.
        var q = new QFedAvg(2, q: 2, localLearningRate: 1);
        q.Add([1, 0], loss: 4);
        var step = new float[2];
        q.WriteStep(step);
        TestData.AssertClose([2.0 / 3, 0], step, 1e-6);
    }

    [Fact]
    public void A_given_lipschitz_constant_replaces_one_over_the_learning_rate()
    {
        // L = 0.5 (not 1/0.1 = 10), q = 1. Client 1: Δ = [2, 0], F = 2: F^q·Δ = [4, 0], h = 1·0.25·4 + 0.5·2 = 2.
        // Client 2: Δ = [0, 4], F = 1: F^q·Δ = [0, 4], h = 0.25·16 + 0.5 = 4.5. Step = L·S/H = 0.5·[4, 4]/6.5.
        var q = new QFedAvg(2, q: 1, localLearningRate: 0.1, lipschitz: 0.5);
        Assert.Equal(0.5, q.Lipschitz);
        q.Add([2, 0], loss: 2);
        q.Add([0, 4], loss: 1);
        Assert.Equal(6.5, q.HSum, 1e-9);
        var step = new float[2];
        q.WriteStep(step);
        TestData.AssertClose([2 / 6.5, 2 / 6.5], step, 1e-6);
        Assert.Equal("lipschitz", Assert.Throws<ArgumentOutOfRangeException>(() => new QFedAvg(2, q: 1, localLearningRate: 0.1, lipschitz: 0)).ParamName);
    }

    [Fact]
    public void Larger_q_gives_the_worse_off_client_more_say()
    {
        float[] poor = [1, 0];
        float[] rich = [0, 1];
        var fair = new QFedAvg(2, q: 5, localLearningRate: 0.01);
        fair.Add(poor, loss: 3);
        fair.Add(rich, loss: 0.3);
        var step = new float[2];
        fair.WriteStep(step);
        Assert.True(step[0] > 100 * step[1], $"step {step[0]}, {step[1]}");
    }

    [Fact]
    public void Reset_starts_a_new_round_and_a_zero_loss_stays_finite()
    {
        var q = new QFedAvg(1, q: 0.5, localLearningRate: 0.1);
        q.Add([3], loss: 1);
        q.Reset();
        Assert.Equal(0, q.Count);
        Assert.Throws<InvalidOperationException>(() => q.WriteStep(new float[1]));
        q.Add([1], loss: 0);
        q.Add([1], loss: 1);
        var step = new float[1];
        q.WriteStep(step);
        Assert.True(float.IsFinite(step[0]));
    }

    [Fact]
    public void Invalid_arguments_are_refused_by_name()
    {
        Assert.Equal("q", Assert.Throws<ArgumentOutOfRangeException>(() => new QFedAvg(2, q: -1, localLearningRate: 0.1)).ParamName);
        Assert.Equal("localLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new QFedAvg(2, q: 1, localLearningRate: 0)).ParamName);
        var q = new QFedAvg(2, q: 1, localLearningRate: 0.1);
        Assert.Equal("loss", Assert.Throws<ArgumentOutOfRangeException>(() => q.Add([1, 1], loss: -0.5)).ParamName);
        Assert.Equal("loss", Assert.Throws<ArgumentOutOfRangeException>(() => q.Add([1, 1], loss: double.NaN)).ParamName);
        Assert.Equal("delta", Assert.Throws<ArgumentException>(() => q.Add([1], loss: 1)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentOutOfRangeException>(() => q.Add([1, 1], loss: 1, weight: 0)).ParamName);
    }
}
