namespace FedTrain.Rpc;

/// <summary>The four call shapes: how many messages flow in each direction.</summary>
public enum MethodType
{
    /// <summary>One request, one response.</summary>
    Unary,

    /// <summary>One request, a stream of responses.</summary>
    ServerStreaming,

    /// <summary>A stream of requests, one response.</summary>
    ClientStreaming,

    /// <summary>Independent request and response streams (bidirectional).</summary>
    DuplexStreaming,
}
