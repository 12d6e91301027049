namespace FedTrain.Rpc;

/// <summary>
/// Tighter limits for one method than the server-wide <see cref="GrpcServerOptions"/>: small requests for methods
/// open to strangers (health, enrolment), so that an oversized message is refused at its length prefix before it is
/// buffered, and a bound on how long a call may run whatever deadline its client asks for.
/// </summary>
/// <param name="MaxRequestMessageSize">Largest request message, in bytes after decompression; null keeps the server's limit.</param>
/// <param name="MaxDuration">Longest the call may run (it then ends DEADLINE_EXCEEDED); null keeps the server's default for its method type.</param>
public sealed record CallLimits(int? MaxRequestMessageSize = null, TimeSpan? MaxDuration = null)
{
    internal void Validate(string method)
    {
        if (MaxRequestMessageSize is <= 0)
        {
            throw new ArgumentException($"{method}: {nameof(MaxRequestMessageSize)} must be positive or null, not {MaxRequestMessageSize}.", nameof(method));
        }

        if (MaxDuration is { } duration && duration <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{method}: {nameof(MaxDuration)} must be positive or null, not {duration}.", nameof(method));
        }
    }
}
