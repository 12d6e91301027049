namespace FedTrain.Coordinator.Grpc;

/// <summary>A client's one upload in flight: taken at the upload's header, given back when the upload ends, however it ends.</summary>
internal sealed class UploadSlot : IDisposable
{
    private readonly HashSet<string> _inFlight;
    private readonly string _clientId;
    private bool _released;

    private UploadSlot(HashSet<string> inFlight, string clientId)
    {
        _inFlight = inFlight;
        _clientId = clientId;
    }

    /// <summary>The client's slot, or null when another upload for the client holds it.</summary>
    public static UploadSlot? TryTake(HashSet<string> inFlight, string clientId)
    {
        lock (inFlight)
        {
            return inFlight.Add(clientId) ? new UploadSlot(inFlight, clientId) : null;
        }
    }

    public void Dispose()
    {
        lock (_inFlight)
        {
            if (!_released)
            {
                _inFlight.Remove(_clientId);
                _released = true;
            }
        }
    }
}
