namespace FedTrain.Coordinator.Security;

/// <summary>
/// Who a call is from, as established by the call gate. <see cref="WorkerId"/> is null when authentication is off:
/// the caller may then act as any worker.
/// </summary>
public sealed record WorkerPrincipal(string? WorkerId, string LimitKey)
{
    internal static readonly object ItemKey = new();
}
