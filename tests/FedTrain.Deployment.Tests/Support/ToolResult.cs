namespace FedTrain.Deployment.Tests.Support;

/// <summary>A finished tool run.</summary>
internal sealed record ToolResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n{Output}\n{Error}";
}
