namespace FedTrain.Trainer.Tests;

public sealed class ParameterTests
{
    [Fact]
    public void Set_then_get_round_trips_bit_exactly()
    {
        using var trainer = TestModels.CreateTiny();
        var random = new Random(3);
        var values = new float[trainer.ParameterCount];
        for (int i = 0; i < values.Length; i++)
        {
            // Arbitrary bit patterns (finite ones) catch any conversion on the way through.
            values[i] = BitConverter.Int32BitsToSingle(random.Next()) is var f && float.IsFinite(f) ? f : -0f;
        }

        trainer.SetParameters(values);

        Assert.Equal(values, TestModels.Parameters(trainer));
    }

    [Fact]
    public void Same_seed_gives_identical_initial_parameters_and_different_seeds_differ()
    {
        using var a = TestModels.CreateTiny(seed: 5);
        using var b = TestModels.CreateTiny(seed: 5);
        using var c = TestModels.CreateTiny(seed: 6);

        Assert.Equal(TestModels.Parameters(a), TestModels.Parameters(b));
        Assert.NotEqual(TestModels.Parameters(a), TestModels.Parameters(c));
    }

    [Fact]
    public void Parameters_move_between_trainers()
    {
        using var source = TestModels.CreateTiny(seed: 1);
        using var target = TestModels.CreateTiny(seed: 2);

        target.SetParameters(TestModels.Parameters(source));

        Assert.Equal(TestModels.Parameters(source), TestModels.Parameters(target));
    }
}
