namespace FedTrain.Protos.Payloads;

/// <summary>Why a streamed payload was refused; the gRPC edge maps each to a status code.</summary>
public enum PayloadError
{
    /// <summary>The header is missing, repeated, or describes the wrong size.</summary>
    BadHeader,

    /// <summary>More bytes arrived than the header announced, or the payload exceeds the configured limit.</summary>
    TooLarge,

    /// <summary>The stream ended before all announced bytes arrived.</summary>
    Truncated,

    /// <summary>The bytes do not hash to the header's SHA-256.</summary>
    ChecksumMismatch,

    /// <summary>A value is NaN or ±Inf (checked only where the receiver asks for it).</summary>
    NonFinite,

    /// <summary>An encoded value outside its encoding's domain: a top-k offset outside its block or out of order.</summary>
    BadEncoding,
}
