namespace FedTrain.Coordinator.Hosting.LiveView;

/// <summary>One row of the worker table.</summary>
/// <param name="State"><c>training</c>, <c>evaluating</c>, <c>idle</c> or <c>gone</c> (silent past the timeout); under DP
/// only <c>live</c> or <c>gone</c>, since what a worker does in a round shows whether its clients were sampled.</param>
/// <param name="Examples">Examples its clients hold; null under DP (a function of the clients' data).</param>
internal sealed record WorkerView(
    string WorkerId, string Device, int Clients, long? Examples, DateTimeOffset LastSeen, double SecondsSinceSeen, string State)
{
    public const string Live = "live";

    public const string Training = "training";
    public const string Evaluating = "evaluating";
    public const string Idle = "idle";
    public const string Gone = "gone";
}
