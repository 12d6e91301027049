namespace FedTrain.Coordinator.Security;

/// <summary>Writes secrets to files only their owner can read.</summary>
public static class SecretFile
{
    /// <summary>Creates (or replaces) <paramref name="path"/> with mode 0600 before any secret byte is written.</summary>
    public static void Write(string path, string secret)
    {
        ArgumentNullException.ThrowIfNull(path);
        string temp = path + ".tmp";
        File.Delete(temp); // A leftover from a crash may have other permissions; the mode applies only on creation.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(secret);
            writer.Write('\n');
        }

        File.Move(temp, path, overwrite: true);
    }
}
