using FedTrain.Bench.Suites;

namespace FedTrain.Bench;

/// <summary>Every suite <c>fedtrain bench</c> knows, in the order <c>all</c> runs them.</summary>
public static class BenchSuites
{
    public static IReadOnlyList<IBenchSuite> All { get; } =
    [
        new AggregateSuite(),
        new TransferSuite(),
        new PeakMemorySuite(),
        new RoundOverheadSuite(),
        new TrainStepSuite(),
        new ScaleSuite(),
        new FailoverSuite(),
        new SilosSuite(),
    ];

    /// <summary>The suites named, or all of them for <c>all</c>; an unknown name throws, listing the known ones.</summary>
    public static IReadOnlyList<IBenchSuite> Select(IEnumerable<string> names)
    {
        var selected = new List<IBenchSuite>();
        foreach (string name in names)
        {
            if (name == "all")
            {
                return All;
            }

            selected.Add(All.FirstOrDefault(s => s.Name == name)
                ?? throw new ArgumentException($"Unknown benchmark suite '{name}'; known: all, {string.Join(", ", All.Select(s => s.Name))}."));
        }

        return selected;
    }
}
