using Google.Protobuf;

namespace FedTrain.Rpc;

/// <summary>
/// Describes one RPC: its shape, its HTTP/2 path and how to parse each side's messages.
/// Declared by hand next to the generated messages (protoc runs with <c>GrpcServices="None"</c>).
/// </summary>
public sealed class Method<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    /// <param name="type">The call shape.</param>
    /// <param name="serviceName">The fully qualified proto service, e.g. <c>fedtrain.v1.Coordinator</c>.</param>
    /// <param name="name">The method name as declared in the proto, e.g. <c>Register</c>.</param>
    /// <param name="requestParser">Parser for request messages (<c>TRequest.Parser</c>).</param>
    /// <param name="responseParser">Parser for response messages (<c>TResponse.Parser</c>).</param>
    public Method(
        MethodType type,
        string serviceName,
        string name,
        MessageParser<TRequest> requestParser,
        MessageParser<TResponse> responseParser)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(requestParser);
        ArgumentNullException.ThrowIfNull(responseParser);
        if (serviceName.Contains('/', StringComparison.Ordinal) || name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("Service and method names must not contain '/'.", nameof(name));
        }

        Type = type;
        ServiceName = serviceName;
        Name = name;
        RequestParser = requestParser;
        ResponseParser = responseParser;
        FullName = "/" + serviceName + "/" + name;
    }

    public MethodType Type { get; }

    public string ServiceName { get; }

    public string Name { get; }

    /// <summary>The HTTP/2 <c>:path</c>, e.g. <c>/fedtrain.v1.Coordinator/Register</c> (case-sensitive).</summary>
    public string FullName { get; }

    public MessageParser<TRequest> RequestParser { get; }

    public MessageParser<TResponse> ResponseParser { get; }

    public override string ToString() => FullName;
}
