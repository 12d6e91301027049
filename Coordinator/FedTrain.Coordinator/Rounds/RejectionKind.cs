namespace FedTrain.Coordinator.Rounds;

/// <summary>Why an update was refused. The gRPC edge maps each to a status code.</summary>
public enum RejectionKind
{
    WrongRun,
    StaleModel,
    NotSelected,
    Duplicate,
    RoundClosed,
    WrongShape,
    NonFinite,
    BadExampleCount,
    ChecksumMismatch,
    Truncated,
    TooLarge,
    Malformed,

    /// <summary>
    /// The update is not in the round's encoding (<c>--update-compression</c>), its size does not match it, or its
    /// encoded values break the encoding's rules (a top-k offset outside its block or out of order).
    /// </summary>
    WrongEncoding,
}
