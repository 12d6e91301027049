using System.Globalization;
using FedTrain.Core.Files;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Reporting;

/// <summary>
/// Writes <c>summary.json</c>, the run's machine-readable record: one entry per committed round and the final
/// figures. Rewritten atomically after every round so a reader never sees half a file. Under DP a round's counts and
/// per-client lists are null (withheld: they are exact functions of who was sampled and of the clients' data), and
/// its fairness figures are those of the noised histogram, published with it.
/// </summary>
public static class RunSummaryWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static JsonObject Build(
        string runId, string modelKind, int workers, int clients, string strategy, JsonObject? privacy, IReadOnlyList<RoundResult> rounds, string status)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        var roundArray = new JsonArray();
        bool languageModel = modelKind == "lm";
        foreach (var round in rounds)
        {
            bool withheld = round.ClientDetailWithheld;
            var entry = new JsonObject
            {
                ["round"] = round.Round,
                ["test_accuracy"] = Finite(round.TestAccuracy),
                ["test_loss"] = Finite(round.TestLoss),
                ["participants"] = withheld ? null : round.Participants.Count,
                ["selected"] = withheld ? null : round.Selected,
                ["duration_seconds"] = Math.Round(round.DurationSeconds, 3),
                ["update_bytes"] = round.UpdateBytes,
                ["upload_bytes"] = withheld ? null : round.Participants.Sum(p => p.UpdateBytes),
                ["model_version"] = round.ModelVersion,
                ["epsilon"] = round.Epsilon,
                ["clip_norm"] = round.ClipNorm,
                ["skipped"] = round.SkipReason,
                ["per_class_accuracy"] = new JsonArray(round.PerClassAccuracy.Select(a => (JsonNode?)Finite(a)).ToArray()),
                ["failures"] = withheld ? null : new JsonArray(round.Failures.Select(f => (JsonNode?)f).ToArray()),
                ["clients"] = withheld ? null : new JsonArray(round.Participants.Select(p => (JsonNode?)new JsonObject
                {
                    ["client_id"] = p.ClientId,
                    ["worker_id"] = p.WorkerId,
                    ["examples"] = p.ExampleCount,
                    ["train_loss"] = Finite(p.TrainLoss),
                    ["train_accuracy"] = p.TrainAccuracy,
                    ["holdout_accuracy"] = p.HoldoutAccuracy,
                    ["step_seconds"] = p.StepSeconds,
                    ["record_epsilon"] = p.RecordEpsilon,
                }).ToArray()),
                ["checkpoint"] = Path.GetFileName(round.CheckpointPath),
                ["fairness"] = round.Fairness is not { } fairness ? null : new JsonObject
                {
                    ["accuracy_mean"] = fairness.AccuracyMean,
                    ["accuracy_std"] = fairness.AccuracyStd,
                    ["accuracy_min"] = fairness.AccuracyMin,
                    ["accuracy_p10"] = fairness.AccuracyP10,
                    ["jain_index"] = fairness.JainIndex,
                    ["gini"] = fairness.Gini,
                    ["clients_evaluated"] = fairness.ClientsEvaluated,
                    ["noise_std"] = fairness.NoiseStandardDeviation,
                    ["noisy_histogram"] = fairness.NoisyHistogram is { } histogram
                        ? new JsonArray(histogram.Select(c => (JsonNode?)c).ToArray())
                        : null,
                },
            };
            if (languageModel)
            {
                entry["perplexity"] = Perplexity(round.TestLoss);
            }

            roundArray.Add(entry);
        }

        var last = rounds.Count > 0 ? rounds[^1] : null;
        var summary = new JsonObject
        {
            ["run_id"] = runId,
            ["status"] = status,
            ["model"] = modelKind,
            ["workers"] = workers,
            ["clients"] = clients,
            ["strategy"] = strategy,
            ["privacy"] = privacy,
            ["rounds"] = roundArray,
            ["final"] = new JsonObject
            {
                ["test_accuracy"] = Finite(last?.TestAccuracy),
                ["test_loss"] = Finite(last?.TestLoss),
                ["rounds_completed"] = rounds.Count,
                ["upload_bytes"] = rounds.Any(r => r.ClientDetailWithheld) ? null : rounds.Sum(r => r.Participants.Sum(p => p.UpdateBytes)),
                ["epsilon"] = last?.Epsilon,
            },
        };
        if (languageModel)
        {
            summary["final"]!["perplexity"] = last is null ? null : Perplexity(last.TestLoss);
        }

        return summary;
    }

    /// <summary>A language model's perplexity: e to the mean next-token cross-entropy (in nats).</summary>
    public static double? Perplexity(double testLoss) => Finite(Math.Exp(testLoss));

    /// <summary>
    /// Writes the per-client table: one row per round and evaluated client with the global model's held-out
    /// accuracy and loss on that client, and whether (and on how many examples) the client trained that round.
    /// </summary>
    public static void WriteClientTable(string path, IReadOnlyList<RoundResult> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        var lines = new List<string> { "round,client_id,worker_id,holdout_accuracy,holdout_loss,holdout_examples,trained,train_examples" };
        foreach (var round in rounds)
        {
            var trained = round.Participants.ToDictionary(p => p.ClientId, StringComparer.Ordinal);
            foreach (var evaluation in round.ClientEvaluations)
            {
                bool didTrain = trained.TryGetValue(evaluation.ClientId, out var participant);
                lines.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{round.Round},{evaluation.ClientId},{evaluation.WorkerId},{evaluation.Accuracy:R},{evaluation.Loss:R},{evaluation.ExampleCount},{(didTrain ? 1 : 0)},{(didTrain ? participant!.ExampleCount : 0)}"));
            }
        }

        PrivateFiles.ReplaceText(path, string.Join('\n', lines) + "\n");
    }

    /// <summary>JSON has no NaN or infinity: a diverged model's figures are written as null.</summary>
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    public static void Write(string path, JsonObject summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        PrivateFiles.ReplaceText(path, summary.ToJsonString(Indented));
    }
}
