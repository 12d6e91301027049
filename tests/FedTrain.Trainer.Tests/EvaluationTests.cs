namespace FedTrain.Trainer.Tests;

public sealed class EvaluationTests
{
    [Fact]
    public void Per_class_counts_match_the_labels_and_the_accuracy()
    {
        var data = SyntheticImages.Create(300).Subset([.. Enumerable.Range(0, 300).Where(i => i % 10 != 3 || i < 100)]);
        using var trainer = TestModels.CreateTiny();
        trainer.Train(data, TestModels.Sgd(steps: 20), CancellationToken.None);

        EvalResult result = trainer.Evaluate(data, 64);

        Assert.Equal(data.Count, result.Examples);
        Assert.Equal(data.LabelHistogram(), result.PerClassTotal);
        Assert.Equal(data.Count, result.PerClassTotal.Sum());
        Assert.All(Enumerable.Range(0, 10), c => Assert.InRange(result.PerClassCorrect[c], 0, result.PerClassTotal[c]));
        Assert.Equal((double)result.PerClassCorrect.Sum() / data.Count, result.Accuracy, 12);
        Assert.True(double.IsFinite(result.MeanLoss) && result.MeanLoss > 0);
    }

    [Fact]
    public void Batch_size_does_not_change_the_result_or_the_parameters()
    {
        var data = SyntheticImages.Create(100);
        using var trainer = TestModels.CreateTiny();
        trainer.Train(data, TestModels.Sgd(steps: 10), CancellationToken.None);
        float[] parameters = TestModels.Parameters(trainer);

        // Batch 1 takes libtorch's plain Linear path; larger CPU batches run the dense layers through oneDNN.
        EvalResult single = trainer.Evaluate(data, 1);
        EvalResult small = trainer.Evaluate(data, 7);
        EvalResult large = trainer.Evaluate(data, 1000);

        Assert.Equal(single.PerClassCorrect, large.PerClassCorrect);
        Assert.Equal(small.PerClassCorrect, large.PerClassCorrect);
        Assert.Equal(single.MeanLoss, large.MeanLoss, 4);
        Assert.Equal(small.MeanLoss, large.MeanLoss, 4);
        Assert.Equal(parameters, TestModels.Parameters(trainer));
    }

    [Fact]
    public void Empty_data_evaluates_to_zeros()
    {
        var data = SyntheticImages.Create(10).Subset([]);
        using var trainer = TestModels.CreateTiny();

        EvalResult result = trainer.Evaluate(data, 32);

        Assert.Equal(0, result.Examples);
        Assert.Equal(0, result.Accuracy);
        Assert.Equal(new long[10], result.PerClassTotal);
    }

    [Fact]
    public void Evaluating_borrowed_parameters_scores_them_and_leaves_the_trainer_without_parameters()
    {
        var data = SyntheticImages.Create(200);
        using var owner = TestModels.CreateTiny();
        owner.Train(data, TestModels.Sgd(steps: 10), CancellationToken.None);
        float[] parameters = TestModels.Parameters(owner);
        float[] unchanged = [.. parameters];
        EvalResult expected = owner.Evaluate(data, 64);
        using var evaluator = TestModels.CreateTiny(seed: 99);

        EvalResult borrowed = evaluator.EvaluateParameters(parameters, data, 64);
        EvalResult again = evaluator.EvaluateParameters(parameters, data, 64);

        Assert.Equal(expected.PerClassCorrect, borrowed.PerClassCorrect);
        Assert.Equal(expected.MeanLoss, borrowed.MeanLoss, 9);
        Assert.Equal(expected.PerClassCorrect, again.PerClassCorrect);
        Assert.Equal(unchanged, parameters);
        var gone = Assert.Throws<TrainerException>(() => evaluator.GetParameters(new float[evaluator.ParameterCount]));
        Assert.Equal(TrainerErrorCode.InvalidArgument, gone.Code);
        Assert.Contains("holds no parameters", gone.Message, StringComparison.Ordinal);
        Assert.Throws<TrainerException>(() => evaluator.EvaluateParameters(parameters.AsSpan(1), data, 64));

        evaluator.SetParameters(parameters);
        Assert.Equal(parameters, TestModels.Parameters(evaluator));
        Assert.Equal(expected.PerClassCorrect, evaluator.Evaluate(data, 64).PerClassCorrect);
    }
}
