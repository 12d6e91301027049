using System.Globalization;
using FedTrain.Core.Data.Formats;
using FedTrain.Core.Models;

namespace FedTrain.Cli.Commands;

/// <summary>
/// What <c>fedtrain data inspect</c> prints: what a worker would train on (examples, classes, input, preprocessing,
/// files skipped, a table's first rows) and what would leave the machine each round.
/// </summary>
internal static class DataReport
{
    private const int ListedSkips = 10;

    public static IEnumerable<string> Lines(LoadedData data, ModelSpec model, long parameters, double holdout, bool dpSgd)
    {
        var examples = data.Examples;
        string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

        yield return F($"Format: {DataFormats.Name(data.Format)}");
        yield return F($"Examples: {examples.Count} in {data.ClassNames.Count} classes ({holdout * 100:0.#}% held out for local evaluation: about {(int)Math.Round(examples.Count * holdout)})");
        if (!model.IsLanguageModel)
        {
            yield return "Classes (index, name, examples):";
            var histogram = examples.LabelHistogram();
            for (int c = 0; c < histogram.Length; c++)
            {
                yield return F($"  {c,3}  {(c < data.ClassNames.Count ? data.ClassNames[c] : "?"),-24} {histogram[c],8}");
            }
        }

        yield return data.FeatureNames is { } features
            ? F($"Input: {features.Count} features: {string.Join(", ", features)}")
            : F($"Input: {examples.Channels}x{examples.Height}x{examples.Width} per example");
        yield return $"Preprocessing: {data.Preprocessing}";
        yield return F($"Skipped files: {data.Skipped.Count}");
        foreach (var skipped in data.Skipped.Take(ListedSkips))
        {
            yield return $"  {skipped.Path}: {skipped.Reason}";
        }

        if (data.Skipped.Count > ListedSkips)
        {
            yield return F($"  ... and {data.Skipped.Count - ListedSkips} more");
        }

        if (data.FirstRows.Count > 0 && data.FeatureNames is { } names)
        {
            yield return "First rows as parsed (label: features, before standardisation):";
            foreach (var (label, values) in data.FirstRows)
            {
                yield return $"  {label}: " + string.Join(", ", names.Select((n, i) => F($"{n}={values[i]}")));
            }
        }

        yield return F($"Model: {model.ToNativeSpec()} ({parameters} parameters)");
        yield return "Leaves this machine:";
        yield return "  at registration: the number of examples, of held-out examples, and of examples per class (the counts above)";
        yield return F($"  per round, for each client trained: the model update, {4 * parameters} bytes as float32 ({2 * parameters} as float16, {parameters + (4 * ((parameters + 4095) / 4096))} as int8; the coordinator's --update-compression chooses)");
        yield return dpSgd
            ? "  and its metrics: held-out accuracy and loss, example count, steps, timings and the client's record-level epsilon (under DP-SGD the training loss and accuracy are not sent)"
            : "  and its metrics: training loss and accuracy, held-out accuracy and loss, example count, steps and timings";
        yield return "  per federated evaluation: held-out accuracy, loss and example count";
        yield return dpSgd
            ? "  DP-SGD: on (record-level: each step clips every example's gradient and adds noise on this machine)"
            : "  DP-SGD: off (the worker's --dp-sgd CLIP,NOISE turns record-level DP on)";
        yield return "Never sent: the examples themselves (rows, images, text), file names, and the standardisation statistics.";
    }
}
