namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>One row of the worker table.</summary>
/// <param name="State"><c>training</c>, <c>evaluating</c>, <c>idle</c> or <c>gone</c> (silent past the timeout).</param>
internal sealed record WorkerView(
    string WorkerId, string Device, int Clients, long Examples, DateTimeOffset LastSeen, double SecondsSinceSeen, string State)
{
    public const string Training = "training";
    public const string Evaluating = "evaluating";
    public const string Idle = "idle";
    public const string Gone = "gone";
}
