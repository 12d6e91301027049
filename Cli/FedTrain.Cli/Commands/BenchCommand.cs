using System.CommandLine;
using FedTrain.Bench;

namespace FedTrain.Cli.Commands;

/// <summary>
/// <c>fedtrain bench SUITE... [--json FILE] [--quick]</c>: runs benchmark suites, each measuring our figure beside
/// its reference in the same process, prints a table and writes the rows as JSON.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var suites = new Argument<string[]>("suite")
        {
            Description = $"Suites to run: all, {string.Join(", ", BenchSuites.All.Select(s => s.Name))}.",
            Arity = ArgumentArity.OneOrMore,
        };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the rows of this run to FILE." };
        var quick = new Option<bool>("--quick") { Description = "Smallest sizes, fewest repetitions: checks that the suites work." };
        var resultsDir = new Option<DirectoryInfo?>("--results-dir")
        {
            Description = "Where each suite's rows are kept as SUITE.json (default: bench/results when run from the repository; never for --quick).",
        };
        var memoryParameters = new Option<long?>("--memory-parameters")
        {
            Description = "Model size of the memory suite, in parameters (default 50,000,000; --quick 6,300,000).",
        };
        var memoryClients = new Option<int?>("--memory-clients") { Description = "Concurrent uploads of the memory suite (default 32; --quick 4)." };
        var roundCases = new Option<string?>("--round-cases")
        {
            Description = "Only these round-overhead cases, as PARAMETERS:WORKERS pairs, e.g. 1M:2,10M:4,25M:4 (default: the full grid).",
        };
        var failoverTrials = new Option<int?>("--failover-trials") { Description = "Trials of the failover suite (default 5; --quick 1)." };
        var silos = new Option<string?>("--silos") { Description = "Counts of coordinator nodes the silos suite runs, e.g. 1,2,3 (the default)." };
        var command = new Command("bench", "Measure FedTrain against physical and plain-library references.")
        {
            suites, json, quick, resultsDir, memoryParameters, memoryClients, roundCases, failoverTrials, silos,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(suites) ?? [], parse.GetValue(json), parse.GetValue(quick), parse.GetValue(resultsDir),
            new MemorySizes(parse.GetValue(memoryParameters), parse.GetValue(memoryClients)), ParseRoundCases(parse.GetValue(roundCases)),
            parse.GetValue(failoverTrials), ParseSiloCounts(parse.GetValue(silos)), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        string[] names, FileInfo? json, bool quick, DirectoryInfo? resultsDir, MemorySizes memory,
        IReadOnlyList<(long Parameters, int Workers)>? roundCases, int? failoverTrials, IReadOnlyList<int>? siloCounts,
        CancellationToken cancellationToken)
    {
        if (memory.Parameters is <= 0 || memory.Clients is <= 0)
        {
            throw new ArgumentException("--memory-parameters and --memory-clients must be positive.");
        }

        if (failoverTrials is <= 0)
        {
            throw new ArgumentException("--failover-trials must be positive.");
        }

        var selected = BenchSuites.Select(names);
        string executable = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot locate the fedtrain executable.");
        string? keepDir = resultsDir?.FullName ?? (!quick && Directory.Exists("bench") ? Path.GetFullPath(Path.Combine("bench", "results")) : null);
        var allRows = new List<BenchRow>();
        foreach (var suite in selected)
        {
            string scratch = Directory.CreateTempSubdirectory($"fedtrain-bench-{suite.Name}-").FullName;
            try
            {
                Console.Error.WriteLine($"== {suite.Name}: {suite.Description}");
                var context = new BenchContext(quick, Console.Error, scratch, executable)
                {
                    MemoryParameters = memory.Parameters,
                    MemoryClients = memory.Clients,
                    RoundCases = roundCases,
                    FailoverTrials = failoverTrials,
                    SiloCounts = siloCounts,
                };
                var rows = new List<BenchRow>();
                await foreach (var row in suite.RunAsync(context, cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(row);
                }

                allRows.AddRange(rows);
                if (keepDir is not null)
                {
                    Directory.CreateDirectory(keepDir);
                    await File.WriteAllTextAsync(Path.Combine(keepDir, $"{suite.Name}.json"), BenchReport.ToJson(rows), cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                Directory.Delete(scratch, recursive: true);
            }
        }

        BenchReport.WriteTable(Console.Out, allRows);
        if (json is not null)
        {
            await File.WriteAllTextAsync(json.FullName, BenchReport.ToJson(allRows), cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    private readonly record struct MemorySizes(long? Parameters, int? Clients);

    /// <summary>Parses <c>1M:2,10M:4,250k:8</c> into (parameters, workers) pairs; null when the option is absent.</summary>
    internal static IReadOnlyList<(long Parameters, int Workers)>? ParseRoundCases(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var cases = new List<(long, int)>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = item.Split(':');
            long? parameters = parts.Length == 2 ? ParseCount(parts[0]) : null;
            if (parameters is not > 0 || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int workers) || workers < 1)
            {
                throw new ArgumentException($"--round-cases: '{item}' is not PARAMETERS:WORKERS (e.g. 10M:4).");
            }

            cases.Add((parameters.Value, workers));
        }

        return cases.Count > 0 ? cases : throw new ArgumentException("--round-cases names no case.");
    }

    /// <summary>Parses <c>1,2,3</c> into counts of coordinator nodes; null when the option is absent.</summary>
    internal static IReadOnlyList<int>? ParseSiloCounts(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var counts = new List<int>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(item, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int count) || count < 1)
            {
                throw new ArgumentException($"--silos: '{item}' is not a positive number of coordinator nodes.");
            }

            counts.Add(count);
        }

        return counts.Count > 0 ? counts : throw new ArgumentException("--silos names no count.");
    }

    private static long? ParseCount(string text)
    {
        long scale = text.EndsWith('M') ? 1_000_000 : text.EndsWith('k') ? 1_000 : 1;
        string digits = scale == 1 ? text : text[..^1];
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) && n <= long.MaxValue / scale
            ? n * scale
            : null;
    }
}
