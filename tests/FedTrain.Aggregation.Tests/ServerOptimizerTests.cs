using FedTrain.Core.Strategies;

namespace FedTrain.Aggregation.Tests;

public sealed class ServerOptimizerTests
{
    [Fact]
    public void ServerSgd_with_unit_rate_is_plain_FedAvg()
    {
        float[] model = [1, 2];
        new ServerSgd(2).Apply(model, [0.5f, -1f]);
        Assert.Equal([1.5f, 1f], model);
    }

    [Fact]
    public void ServerSgd_scales_the_delta_by_the_server_rate()
    {
        float[] model = [1, 2];
        var sgd = new ServerSgd(2, serverLearningRate: 0.5);
        sgd.Apply(model, [0.5f, -1f]);
        Assert.Equal([1.25f, 1.5f], model);
        Assert.Equal(1, sgd.StepCount);
    }

    [Fact]
    public void FedAvgM_accumulates_momentum_over_rounds()
    {
        // v₁ = [1, −2]; v₂ = 0.9·v₁ + [1, 0] = [1.9, −1.8]; v₃ = 0.9·v₂ = [1.71, −1.62]; w = 0.5·(v₁ + v₂ + v₃).
        float[] model = [0, 0];
        var opt = new FedAvgM(2, serverLearningRate: 0.5, momentum: 0.9);
        opt.Apply(model, [1, -2]);
        Assert.Equal([1f, -2f], opt.Velocity.ToArray());
        Assert.Equal([0.5f, -1f], model);
        opt.Apply(model, [1, 0]);
        TestData.AssertClose([1.9, -1.8], opt.Velocity, 1e-6);
        TestData.AssertClose([1.45, -1.9], model, 1e-6);
        opt.Apply(model, [0, 0]);
        TestData.AssertClose([1.71, -1.62], opt.Velocity, 1e-6);
        TestData.AssertClose([2.305, -2.71], model, 1e-6);
        Assert.Equal(3, opt.StepCount);
    }

    [Fact]
    public void FedAvgM_without_momentum_equals_server_sgd()
    {
        float[] a = [1, 2, 3];
        float[] b = [1, 2, 3];
        var momentumFree = new FedAvgM(3, serverLearningRate: 0.7, momentum: 0);
        var sgd = new ServerSgd(3, serverLearningRate: 0.7);
        foreach (var delta in new float[][] { [0.1f, -0.2f, 0.3f], [1f, 1f, -1f] })
        {
            momentumFree.Apply(a, delta);
            sgd.Apply(b, delta);
        }

        Assert.Equal(b, a);
    }

    [Fact]
    public void FedAdam_matches_hand_computed_steps()
    {
        // η = 0.1, β₁ = 0.9, β₂ = 0.99, τ = 1e-3, v₀ = τ² (values computed in float64 by hand/calculator).
        float[] model = [1, -1];
        var adam = new FedAdam(2, serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3);
        Assert.Equal([1e-6f, 1e-6f], adam.SecondMoment.ToArray());

        adam.Apply(model, [0.1f, -0.2f]);
        TestData.AssertClose([0.01, -0.02], adam.FirstMoment, 1e-7);
        TestData.AssertClose([1.0099e-4, 4.0099e-4], adam.SecondMoment, 1e-9);
        TestData.AssertClose([1.090502831185222, -1.0951260516755887], model, 2e-6);

        adam.Apply(model, [0.3f, 0f]);
        TestData.AssertClose([0.039, -0.018], adam.FirstMoment, 1e-7);
        TestData.AssertClose([9.999801e-4, 3.969801e-4], adam.SecondMoment, 1e-9);
        TestData.AssertClose([1.210052361369673, -1.1811501903454624], model, 2e-6);
    }

    [Fact]
    public void FedAdagrad_divides_by_the_root_of_the_summed_squares()
    {
        // β₁ = 0 (m = Δ̄), τ = 1, v₀ = 0: step 1 adds 0.1·[3/(3+1), 4/(4+1)]; step 2 has v = [9, 25], m = [0, 3].
        float[] model = [0, 0];
        var adagrad = new FedAdagrad(2, serverLearningRate: 0.1, beta1: 0, tau: 1, initialSecondMoment: 0);
        adagrad.Apply(model, [3, 4]);
        TestData.AssertClose([0.075, 0.08], model, 1e-7);
        adagrad.Apply(model, [0, 3]);
        Assert.Equal([9f, 25f], adagrad.SecondMoment.ToArray());
        TestData.AssertClose([0.075, 0.13], model, 1e-7);
    }

    [Fact]
    public void FedYogi_moves_v_towards_the_square_by_sign_and_leaves_it_on_a_tie()
    {
        // η = 1, β₁ = 0, β₂ = 0.5, τ = 1, v₀ = τ² = 1. Step 1, Δ̄ = [2, 0.5, 1]: Δ̄² = [4, 0.25, 1],
        // sign(v − Δ̄²) = [−1, +1, 0], so v = [1 + 2, 1 − 0.125, 1]; w = Δ̄ / (√v + 1).
        float[] model = [0, 0, 0];
        var yogi = new FedYogi(3, serverLearningRate: 1, beta1: 0, beta2: 0.5, tau: 1);
        yogi.Apply(model, [2, 0.5f, 1]);
        Assert.Equal([3f, 0.875f, 1f], yogi.SecondMoment.ToArray());
        TestData.AssertClose([0.7320508075688773, 0.2583426132260586, 0.5], model, 1e-6);

        // Step 2, Δ̄ = [0, 1, 1]: sign = [+1, −1, 0] → v = [3, 1.375, 1].
        yogi.Apply(model, [0, 1, 1]);
        Assert.Equal([3f, 1.375f, 1f], yogi.SecondMoment.ToArray());
        TestData.AssertClose([0.7320508075688773, 0.7186197864416783, 1.0], model, 1e-6);
    }

    public static TheoryData<string> Variants => new() { "adagrad", "adam", "yogi" };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Adaptive_optimizers_track_a_float64_reference_over_many_rounds(string variant)
    {
        // 37 parameters: a vector body and a scalar tail. Random deltas over 6 rounds, v₀ = 0 (Flower's start).
        const int length = 37;
        double eta = 0.05, beta1 = 0.9, beta2 = 0.95, tau = 1e-2;
        var rng = new Random(7);
        var model = new float[length];
        double[] w = new double[length], m = new double[length], v = new double[length];
        IServerOptimizer optimizer = variant switch
        {
            "adagrad" => new FedAdagrad(length, eta, beta1, tau, initialSecondMoment: 0),
            "adam" => new FedAdam(length, eta, beta1, beta2, tau, initialSecondMoment: 0),
            _ => new FedYogi(length, eta, beta1, beta2, tau, initialSecondMoment: 0),
        };

        for (int round = 0; round < 6; round++)
        {
            var delta = new float[length];
            for (int i = 0; i < length; i++)
            {
                delta[i] = (float)((rng.NextDouble() - 0.5) * 0.2);
                double d = delta[i];
                m[i] = (beta1 * m[i]) + ((1 - beta1) * d);
                v[i] = variant switch
                {
                    "adagrad" => v[i] + (d * d),
                    "adam" => (beta2 * v[i]) + ((1 - beta2) * d * d),
                    _ => v[i] - ((1 - beta2) * d * d * Math.Sign(v[i] - (d * d))),
                };
                w[i] += eta * m[i] / (Math.Sqrt(v[i]) + tau);
            }

            optimizer.Apply(model, delta);
        }

        TestData.AssertClose(w, model, 2e-5);
        Assert.Equal(6, optimizer.StepCount);
    }

    [Fact]
    public void Parallel_chunks_give_the_same_bits_as_a_small_sequential_run()
    {
        // Above 2²⁰ parameters the step runs in parallel chunks; every element must still see the same arithmetic.
        const int large = (1 << 20) + 1013;
        const int small = 1013;
        var rng = new Random(3);
        var deltas = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, large).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()).ToArray();
        var big = new float[large];
        var head = new float[small];
        var tail = new float[small];
        var bigYogi = new FedYogi(large);
        var headYogi = new FedYogi(small);
        var tailYogi = new FedYogi(small);
        foreach (var delta in deltas)
        {
            bigYogi.Apply(big, delta);
            headYogi.Apply(head, delta.AsSpan(0, small));
            tailYogi.Apply(tail, delta.AsSpan(large - small));
        }

        TestData.AssertBitIdentical(head, big.AsSpan(0, small));
        TestData.AssertBitIdentical(tail, big.AsSpan(large - small));
    }

    [Fact]
    public void Reset_and_restore_reproduce_the_state()
    {
        float[] model = [0.5f, -0.5f, 2f];
        var adam = new FedAdam(3);
        adam.Apply(model, [0.1f, 0.2f, -0.3f]);
        var m = adam.FirstMoment.ToArray();
        var v = adam.SecondMoment.ToArray();
        var saved = (float[])model.Clone();

        adam.Apply(model, [0.3f, -0.1f, 0f]);
        var continued = (float[])model.Clone();

        var restored = new FedAdam(3);
        restored.RestoreState(m, v, adam.StepCount - 1);
        restored.Apply(saved, [0.3f, -0.1f, 0f]);
        Assert.Equal(continued, saved);
        Assert.Equal(2, restored.StepCount);

        adam.Reset();
        Assert.Equal(0, adam.StepCount);
        Assert.All(adam.FirstMoment.ToArray(), x => Assert.Equal(0f, x));
        Assert.All(adam.SecondMoment.ToArray(), x => Assert.Equal(1e-6f, x));
    }

    [Fact]
    public void Invalid_hyperparameters_are_refused_by_name()
    {
        Assert.Equal("serverLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(4, serverLearningRate: 0)).ParamName);
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new FedYogi(4, beta1: 1.0)).ParamName);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(4, beta2: -0.1)).ParamName);
        Assert.Equal("tau", Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdagrad(4, tau: 0)).ParamName);
        Assert.Equal("initialSecondMoment", Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(4, initialSecondMoment: -1)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new FedAvgM(4, momentum: 1)).ParamName);
        Assert.Equal("serverLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ServerSgd(4, double.NaN)).ParamName);
        Assert.Equal("averagedDelta", Assert.Throws<ArgumentException>(() => new FedAdam(4).Apply(new float[4], new float[3])).ParamName);
        Assert.Equal("model", Assert.Throws<ArgumentException>(() => new FedAvgM(4).Apply(new float[5], new float[4])).ParamName);
    }
}
