using System.Runtime.InteropServices;

namespace FedTrain.Core.Checkpoints;

/// <summary>
/// Replaces a file so that a crash at any instant leaves either the old file or the complete new one: the content
/// goes to a temporary file in the same folder, which is fsynced, renamed over the target, and then the folder
/// itself is fsynced so that the rename survives a power loss too.
/// </summary>
public static partial class AtomicFile
{
    private const int ReadOnlyDirectoryFlags = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    /// <param name="path">The file to create or replace.</param>
    /// <param name="writeContent">Writes the whole content to the stream it is given.</param>
    /// <param name="beforeRename">Called after the temporary file is durable and before it replaces the target.</param>
    public static void Write(string path, Action<FileStream> writeContent, Action? beforeRename = null)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp";
        // A leftover of a crash is removed (a link, not what it points to); the new file is created exclusively, mode 0600.
        File.Delete(temporary);
        using (var file = Files.PrivateFiles.CreateExclusive(temporary, 1 << 20))
        {
            writeContent(file);
            file.Flush(flushToDisk: true);
        }

        beforeRename?.Invoke();
        File.Move(temporary, full, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(full)!);
    }

    /// <summary>Makes the folder's entries (a rename into it) durable; a no-op where folders cannot be opened.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsFreeBSD() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        int descriptor = Open(directory, OperatingSystem.IsLinux() ? ReadOnlyDirectoryFlags : 0);
        if (descriptor < 0)
        {
            throw new IOException($"Cannot open folder {directory} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(descriptor) != 0)
            {
                throw new IOException($"fsync of folder {directory} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
