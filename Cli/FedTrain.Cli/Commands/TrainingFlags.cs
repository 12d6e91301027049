using System.CommandLine;
using FedTrain.Core.Models;

namespace FedTrain.Cli.Commands;

/// <summary>Command-line flags for the model and local training, shared by <c>coordinator</c> and <c>demo</c>.</summary>
internal sealed class TrainingFlags
{
    private readonly Option<int?> _localEpochs = new("--local-epochs") { Description = "Passes over each worker's data per round." };
    private readonly Option<int?> _localSteps = new("--local-steps") { Description = "Optimizer steps per round (overrides epochs)." };
    private readonly Option<int?> _batchSize = new("--batch-size") { Description = "Examples per local step." };
    private readonly Option<float?> _learningRate = new("--lr") { Description = "Local learning rate." };
    private readonly Option<string?> _optimizer = new("--optimizer") { Description = "sgd or adam." };
    private readonly Option<float?> _momentum = new("--momentum") { Description = "SGD momentum." };
    private readonly Option<string?> _model = new("--model")
    {
        Description = "Network: cnn (default), vit or lm (the zoo's presets), or a spec such as kind=vit;patch=7;dim=64;depth=2;heads=4;mlp=128 (keys left out keep the preset's values).",
    };

    private readonly Option<float?> _proximalMu = new("--proximal-mu") { Description = "FedProx mu: adds (mu/2)||w - w_global||^2 to local training (0 = off)." };
    private readonly Option<string?> _conv = new("--conv") { Description = "CNN conv widths, e.g. 32,64." };
    private readonly Option<int?> _hidden = new("--hidden") { Description = "CNN hidden layer width." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _model, _proximalMu, _localEpochs, _localSteps, _batchSize, _learningRate, _optimizer, _momentum, _conv, _hidden })
        {
            command.Options.Add(option);
        }
    }

    public (ModelSpec Model, TrainingConfig Training) Apply(ParseResult parse, ModelSpec model, TrainingConfig training)
    {
        if (parse.GetValue(_model) is { } modelText)
        {
            var chosen = ModelSpec.Parse(modelText);
            if (chosen.Kind != model.Kind)
            {
                // Another kind trains best with other settings; the flags below still override them.
                training = TrainingPresets.For(chosen.Kind) with { Seed = training.Seed, ProximalMu = training.ProximalMu };
            }

            model = chosen;
        }

        if (parse.GetValue(_conv) is { } conv)
        {
            model = model with { ConvChannels = conv.Split(',', StringSplitOptions.TrimEntries).Select(ParseWidth).ToArray() };
        }

        if (parse.GetValue(_hidden) is { } hidden)
        {
            model = model with { Hidden = hidden };
        }

        return (model, ApplyTraining(parse, training));
    }

    /// <summary>The local-training flags given, over <paramref name="training"/> (a kind's preset chosen after the flags were read).</summary>
    public TrainingConfig ApplyTraining(ParseResult parse, TrainingConfig training)
    {
        int? steps = parse.GetValue(_localSteps);
        int? epochs = parse.GetValue(_localEpochs);
        return training with
        {
            LocalSteps = steps ?? (epochs is null ? training.LocalSteps : 0),
            LocalEpochs = epochs ?? training.LocalEpochs,
            BatchSize = parse.GetValue(_batchSize) ?? training.BatchSize,
            LearningRate = parse.GetValue(_learningRate) ?? training.LearningRate,
            Optimizer = parse.GetValue(_optimizer) ?? training.Optimizer,
            Momentum = parse.GetValue(_momentum) ?? training.Momentum,
            ProximalMu = parse.GetValue(_proximalMu) ?? training.ProximalMu,
        };
    }

    private static int ParseWidth(string text) =>
        int.TryParse(text, out int width) ? width : throw new ArgumentException($"--conv: '{text}' is not a whole number.");
}
