namespace FedTrain.Worker;

/// <summary>
/// The coordinator asked this worker to run a TorchScript module its owner has not trusted. Raised before the module is
/// fetched, so it is never loaded; the message names the module's SHA-256 and the flags that trust it.
/// </summary>
public sealed class UntrustedModuleException : Exception
{
    public UntrustedModuleException()
    {
    }

    public UntrustedModuleException(string message)
        : base(message)
    {
    }

    public UntrustedModuleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The refusal in short, as the coordinator records it for the round: the hash and the flag.</summary>
    public string Reason { get; private init; } = "refused: untrusted TorchScript module";

    /// <summary>The refusal of the module with <paramref name="sha256"/>.</summary>
    public static UntrustedModuleException For(string sha256) => new(
        $"Refused TorchScript module sha256 {sha256}: a TorchScript module is code that runs with this worker's rights "
        + $"(it can read the owner's files), and its owner has not trusted this one. To run it, start the worker with "
        + $"--trust-module {sha256} (or list the hash in --trusted-modules-file).")
    {
        Reason = $"refused: TorchScript module {sha256} is not trusted by this worker (--trust-module)",
    };
}
