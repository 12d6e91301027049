namespace FedTrain.Rpc;

/// <summary>Health of a service, as reported by <c>grpc.health.v1.Health</c> (same values as the proto enum).</summary>
public enum ServingStatus
{
    Unknown = 0,
    Serving = 1,
    NotServing = 2,

    /// <summary>Sent by Watch for a service name that is not registered.</summary>
    ServiceUnknown = 3,
}
