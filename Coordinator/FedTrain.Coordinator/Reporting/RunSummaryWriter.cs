using System.Text.Json;
using System.Text.Json.Nodes;
using FedTrain.Coordinator.Rounds;

namespace FedTrain.Coordinator.Reporting;

/// <summary>
/// Writes <c>summary.json</c>, the run's machine-readable record: one entry per committed round and the final
/// figures. Rewritten atomically after every round so a reader never sees half a file.
/// </summary>
public static class RunSummaryWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static JsonObject Build(string runId, string modelKind, int workers, int clients, IReadOnlyList<RoundResult> rounds, string status)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        var roundArray = new JsonArray();
        foreach (var round in rounds)
        {
            roundArray.Add(new JsonObject
            {
                ["round"] = round.Round,
                ["test_accuracy"] = round.TestAccuracy,
                ["test_loss"] = round.TestLoss,
                ["participants"] = round.Participants.Count,
                ["selected"] = round.Selected,
                ["duration_seconds"] = Math.Round(round.DurationSeconds, 3),
                ["update_bytes"] = round.UpdateBytes,
                ["model_version"] = round.ModelVersion,
                ["per_class_accuracy"] = new JsonArray(round.PerClassAccuracy.Select(a => (JsonNode?)a).ToArray()),
                ["failures"] = new JsonArray(round.Failures.Select(f => (JsonNode?)f).ToArray()),
                ["clients"] = new JsonArray(round.Participants.Select(p => (JsonNode?)new JsonObject
                {
                    ["client_id"] = p.ClientId,
                    ["worker_id"] = p.WorkerId,
                    ["examples"] = p.ExampleCount,
                    ["train_loss"] = p.TrainLoss,
                    ["train_accuracy"] = p.TrainAccuracy,
                    ["holdout_accuracy"] = p.HoldoutAccuracy,
                    ["step_seconds"] = p.StepSeconds,
                }).ToArray()),
                ["checkpoint"] = Path.GetFileName(round.CheckpointPath),
            });
        }

        var last = rounds.Count > 0 ? rounds[^1] : null;
        return new JsonObject
        {
            ["run_id"] = runId,
            ["status"] = status,
            ["model"] = modelKind,
            ["workers"] = workers,
            ["clients"] = clients,
            ["rounds"] = roundArray,
            ["final"] = new JsonObject
            {
                ["test_accuracy"] = last?.TestAccuracy,
                ["test_loss"] = last?.TestLoss,
                ["rounds_completed"] = rounds.Count,
            },
        };
    }

    public static void Write(string path, JsonObject summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, summary.ToJsonString(Indented));
        File.Move(temporary, path, overwrite: true);
    }
}
