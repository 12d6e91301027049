using System.Runtime.InteropServices;

namespace FedTrain.Core.Files;

/// <summary>
/// Files only their owner may read: the run directory (0700) and what is written in it (0600): per-client updates,
/// checkpoints, the database, summaries, logs and secrets. A federation's state is private to the data owners and the
/// coordinator's operator, not to every account on the host.
/// </summary>
public static partial class PrivateFiles
{
    /// <summary>Owner read and write (0600).</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Owner read, write and search (0700).</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const uint OwnerOnlyUmask = 0x3F; // 077: no bits for group or others

    /// <summary>
    /// Makes every file and folder this process (and the processes it starts) creates private to its owner, including
    /// those that libraries create (SQLite's database, its -wal and -shm files).
    /// </summary>
    public static void RestrictProcessUmask()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = Umask(OwnerOnlyUmask);
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> as a 0700 folder, or narrows an existing one of ours to 0700. Returns false
    /// when an existing folder could not be narrowed (not ours, e.g. a mounted volume); its files stay 0600.
    /// </summary>
    public static bool CreateDirectory(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return true;
        }

        var directory = Directory.CreateDirectory(path, DirectoryMode);
        if ((directory.UnixFileMode & ~DirectoryMode) == 0)
        {
            return true;
        }

        try
        {
            directory.UnixFileMode = DirectoryMode;
            return true;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Creates a new file, mode 0600, that must not exist yet (O_CREAT | O_EXCL): an existing file or a planted
    /// symbolic link at <paramref name="path"/> makes it fail instead of being written through.
    /// </summary>
    public static FileStream CreateExclusive(string path, int bufferSize = 4096)
    {
        ArgumentNullException.ThrowIfNull(path);
        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        return new FileStream(path, options);
    }

    /// <summary>Options that create a file with mode 0600 (where the file is created by <paramref name="mode"/>).</summary>
    public static FileStreamOptions Options(System.IO.FileMode mode, FileAccess access, FileShare share = FileShare.Read, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows() && mode != System.IO.FileMode.Open && mode != System.IO.FileMode.Truncate)
        {
            options.UnixCreateMode = FileMode;
        }

        return options;
    }

    /// <summary>Writes a whole text file through a fresh 0600 temporary file and a rename, so readers see the old or the new one.</summary>
    public static void ReplaceText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(path);
        string temporary = path + ".tmp";
        File.Delete(temporary); // a leftover of a crash; the new one is created exclusively
        using (var stream = CreateExclusive(temporary))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }

        File.Move(temporary, path, overwrite: true);
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}
