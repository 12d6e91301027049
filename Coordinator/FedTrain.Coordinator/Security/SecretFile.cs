using System.Security.Cryptography;
using FedTrain.Core.Files;

namespace FedTrain.Coordinator.Security;

/// <summary>Writes secrets to files only their owner can read.</summary>
public static class SecretFile
{
    /// <summary>
    /// Creates (or replaces) <paramref name="path"/> with mode 0600 before any secret byte is written. The secret goes
    /// to a temporary file with an unguessable name, created exclusively (O_EXCL: a planted file or symbolic link makes
    /// it fail rather than be written through), then renamed over the target.
    /// </summary>
    public static void Write(string path, string secret)
    {
        ArgumentNullException.ThrowIfNull(path);
        string temp = $"{path}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}.tmp";
        try
        {
            using (var stream = PrivateFiles.CreateExclusive(temp))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(secret);
                writer.Write('\n');
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
