namespace FedTrain.Deployment.Tests.Support;

/// <summary>A Dockerfile as instructions: comments dropped, continuation lines joined.</summary>
internal static class Dockerfile
{
    public static IReadOnlyList<DockerInstruction> Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        string pending = string.Empty;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && pending.Length == 0))
            {
                continue;
            }

            pending += (pending.Length > 0 ? " " : string.Empty) + line.TrimEnd('\\').Trim();
            if (line.EndsWith('\\'))
            {
                continue;
            }

            int space = pending.IndexOf(' ', StringComparison.Ordinal);
            instructions.Add(space < 0
                ? new DockerInstruction(pending.ToUpperInvariant(), string.Empty)
                : new DockerInstruction(pending[..space].ToUpperInvariant(), pending[(space + 1)..].Trim()));
            pending = string.Empty;
        }

        return instructions;
    }
}
