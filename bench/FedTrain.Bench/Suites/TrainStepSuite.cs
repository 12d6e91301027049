using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace FedTrain.Bench.Suites;

/// <summary>
/// The worker's training step (the native trainer through its C ABI) against a plain libtorch loop over the same
/// model and data, each in its own process of <c>fedtrain_train_bench</c>, alternating so that both see the same
/// machine load. Ratio: plain time / our time (target: at least 1/1.1).
/// </summary>
public sealed class TrainStepSuite : IBenchSuite
{
    public string Name => "train";

    public string Description => "training step time of the worker's trainer against a plain libtorch C++ loop";

    public async IAsyncEnumerable<BenchRow> RunAsync(BenchContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string program = LocateProgram();
        (string Conv, int Hidden, int Batch)[] models = context.Quick ? [("32,64", 128, 32)] : [("32,64", 128, 32), ("32,64", 128, 128)];
        int[] threadCounts = context.Quick ? [1] : [1, 2];
        int steps = context.Quick ? 10 : 100, passes = context.Quick ? 1 : 3;
        foreach (var (conv, hidden, batch) in models)
        {
            foreach (int threads in threadCounts)
            {
                string name = string.Create(CultureInfo.InvariantCulture, $"cnn conv={conv} hidden={hidden} batch={batch} threads={threads}");
                context.Log.WriteLine($"  {name}");
                var ours = new List<double>();
                var plain = new List<double>();
                for (int pass = 0; pass < passes; pass++)
                {
                    ours.Add(await MeasureAsync(program, "ours", conv, hidden, batch, steps, threads, cancellationToken).ConfigureAwait(false));
                    plain.Add(await MeasureAsync(program, "plain", conv, hidden, batch, steps, threads, cancellationToken).ConfigureAwait(false));
                }

                yield return BenchRow.LowerIsBetter(Name, name, Median(ours), "ms/step", Median(plain), "ms/step (plain libtorch)");
            }
        }
    }

    private static async Task<double> MeasureAsync(
        string program, string mode, string conv, int hidden, int batch, int steps, int threads, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { mode, conv, Invariant(hidden), Invariant(batch), Invariant(steps), Invariant(threads) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {mode} failed ({process.ExitCode}): {await error.ConfigureAwait(false)}");
        }

        var line = JsonNode.Parse(await output.ConfigureAwait(false)) ?? throw new InvalidOperationException("The step benchmark printed nothing.");
        return (double)line["ms_per_step"]!;
    }

    /// <summary>The program is built beside the native trainer: next to FEDTRAIN_NATIVE_LIB, or in build/native above here.</summary>
    private static string LocateProgram()
    {
        const string name = "fedtrain_train_bench";
        if (Environment.GetEnvironmentVariable("FEDTRAIN_NATIVE_LIB") is { Length: > 0 } library
            && Path.Combine(Path.GetDirectoryName(Path.GetFullPath(library))!, name) is var besideLibrary && File.Exists(besideLibrary))
        {
            return besideLibrary;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "build", "native", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{name} was not found beside the native trainer; build it with scripts/build-native.sh.");
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
