using System.Text.Json;

namespace FedTrain.Integration.Tests.Support;

/// <summary>Reads a run's <c>summary.json</c>.</summary>
internal static class RunSummary
{
    public static JsonElement Load(string runDirectory)
    {
        string path = Path.Combine(runDirectory, "summary.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    public static JsonElement[] Rounds(JsonElement summary) => summary.GetProperty("rounds").EnumerateArray().ToArray();
}
