using System.CommandLine;
using FedTrain.Coordinator;

namespace FedTrain.Cli.Commands;

/// <summary>Run-shaping flags shared by <c>coordinator</c> and <c>demo</c>.</summary>
internal sealed class CoordinatorFlags
{
    private readonly Option<int?> _rounds = new("--rounds") { Description = "Rounds to train." };
    private readonly Option<double?> _fractionFit = new("--fraction-fit") { Description = "Fraction of live workers selected per round." };
    private readonly Option<int?> _minFitClients = new("--min-fit-clients") { Description = "Fewest clients a round selects." };
    private readonly Option<double?> _quorum = new("--quorum") { Description = "Fraction of selected workers whose updates a round needs at its deadline." };
    private readonly Option<double?> _roundTimeout = new("--round-timeout") { Description = "Seconds a round waits for updates." };
    private readonly Option<int?> _testLimit = new("--test-limit") { Description = "Evaluate on the first N test images only." };
    private readonly Option<string?> _testData = new("--test-data") { Description = "Folder of the IDX test set." };
    private readonly Option<ulong?> _seed = new("--seed") { Description = "Seed for initialisation, selection and partitioning." };
    private readonly TrainingFlags _training = new();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _rounds, _fractionFit, _minFitClients, _quorum, _roundTimeout, _testLimit, _testData, _seed })
        {
            command.Options.Add(option);
        }

        _training.AddTo(command);
    }

    public ulong? Seed(ParseResult parse) => parse.GetValue(_seed);

    public void Apply(ParseResult parse, CoordinatorOptions options)
    {
        options.Rounds = parse.GetValue(_rounds) ?? options.Rounds;
        options.FractionFit = parse.GetValue(_fractionFit) ?? options.FractionFit;
        options.MinFitClients = parse.GetValue(_minFitClients) ?? options.MinFitClients;
        options.QuorumFraction = parse.GetValue(_quorum) ?? options.QuorumFraction;
        options.RoundTimeout = parse.GetValue(_roundTimeout) is { } timeout ? TimeSpan.FromSeconds(timeout) : options.RoundTimeout;
        options.TestLimit = parse.GetValue(_testLimit) ?? options.TestLimit;
        options.TestDataDirectory = parse.GetValue(_testData) ?? options.TestDataDirectory;
        options.Seed = parse.GetValue(_seed) ?? options.Seed;
        (options.Model, options.Training) = _training.Apply(parse, options.Model, options.Training);
    }
}
