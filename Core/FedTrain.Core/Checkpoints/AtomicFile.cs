using System.Runtime.InteropServices;

namespace FedTrain.Core.Checkpoints;

/// <summary>
/// Replaces a file so that a crash at any instant leaves either the old file or the complete new one: the content
/// goes to a temporary file in the same folder, which is fsynced, renamed over the target, and then the folder
/// itself is fsynced so that the rename survives a power loss too.
/// </summary>
/// <remarks>
/// Each write has a temporary file of its own (<c>NAME.GUID.tmp</c>): two processes writing the same file, such as a
/// coordinator that lost the run's lease and its successor, can neither delete nor publish each other's half-written
/// file. A crash leaves its temporary file behind; <see cref="RemoveLeftovers"/> clears them.
/// </remarks>
public static partial class AtomicFile
{
    private const int ReadOnlyDirectoryFlags = 0x10000; // O_RDONLY | O_DIRECTORY on Linux
    private const string TemporarySuffix = ".tmp";

    /// <param name="path">The file to create or replace.</param>
    /// <param name="writeContent">Writes the whole content to the stream it is given.</param>
    /// <param name="beforeRename">Called after the temporary file is durable and before it replaces the target.</param>
    /// <param name="beforeReplacing">
    /// When given, the target is never replaced blindly: if it exists when the new file is published, this is called
    /// first and may throw to refuse (the new file is then removed and the existing one left as it is); otherwise the
    /// existing file is removed and publishing is tried again. A writer that can be fenced passes its lease check here,
    /// so that it cannot replace a file a newer writer published after its last check.
    /// </param>
    public static void Write(string path, Action<FileStream> writeContent, Action? beforeRename = null, Action? beforeReplacing = null)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        string full = Path.GetFullPath(path);
        string temporary = FormattableString.Invariant($"{full}.{Guid.NewGuid():N}{TemporarySuffix}");
        // Created exclusively, mode 0600.
        using (var file = Files.PrivateFiles.CreateExclusive(temporary, 1 << 20))
        {
            writeContent(file);
            file.Flush(flushToDisk: true);
        }

        try
        {
            beforeRename?.Invoke();
            if (beforeReplacing is null)
            {
                File.Move(temporary, full, overwrite: true);
            }
            else
            {
                PublishWithoutClobbering(temporary, full, beforeReplacing);
            }
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        SyncDirectory(Path.GetDirectoryName(full)!);
    }

    /// <summary>
    /// Deletes the temporary files that writes to <paramref name="directory"/> left behind (a crash between writing and
    /// publishing). Call it only where no other writer may still be at work, or where any that is must fail: a
    /// coordinator that has just taken the run's lease.
    /// </summary>
    public static int RemoveLeftovers(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        int removed = 0;
        foreach (string leftover in Directory.EnumerateFiles(directory, "*" + TemporarySuffix))
        {
            File.Delete(leftover);
            removed++;
        }

        return removed;
    }

    private static void PublishWithoutClobbering(string temporary, string full, Action beforeReplacing)
    {
        while (true)
        {
            try
            {
                // Without overwrite the move fails when the target exists (on Linux it links, then unlinks the source).
                File.Move(temporary, full, overwrite: false);
                return;
            }
            catch (IOException) when (File.Exists(full))
            {
                beforeReplacing();
                File.Delete(full);
            }
        }
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
