using Microsoft.Win32.SafeHandles;

namespace FedTrain.Coordinator.Spool;

/// <summary>
/// An upload being received into its temporary spool file. Disposing it without <see cref="RoundUpdateSpool.Keep"/>
/// deletes the file: a refused or cut upload leaves nothing behind, in the aggregate or on disk.
/// </summary>
public sealed class PendingUpload : IDisposable
{
    internal PendingUpload(long round, string clientId, string temporaryPath, SafeFileHandle file)
    {
        Round = round;
        ClientId = clientId;
        TemporaryPath = temporaryPath;
        File = file;
    }

    public long Round { get; }

    public string ClientId { get; }

    /// <summary>The file the chunks are written to; the caller writes at offsets 0 … size − 1.</summary>
    public SafeFileHandle File { get; }

    internal string TemporaryPath { get; }

    internal bool Kept { get; set; }

    /// <summary>Whether the file's bytes were flushed to disk.</summary>
    internal bool Flushed { get; set; }

    public void Dispose()
    {
        File.Dispose();
        if (!Kept)
        {
            System.IO.File.Delete(TemporaryPath);
        }
    }
}
