using System.Security.Cryptography;
using System.Text;

namespace FedTrain.Coordinator.Security;

/// <summary>The operator token of the HTTP API, read from its file or created there (mode 0600) on first start.</summary>
public static class OperatorToken
{
    /// <summary>The path the token is read from, for <paramref name="options"/> and a run directory.</summary>
    public static string PathFor(AuthOptions options, string runDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.OperatorTokenFile ?? Path.Combine(runDirectory, "operator.token");
    }

    /// <summary>The SHA-256 of the token; the token itself is not kept in memory longer than this call.</summary>
    public static byte[] LoadOrCreateHash(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var issued = SecretToken.Create(SecretToken.OperatorKind);
            SecretFile.Write(path, issued.Token);
        }

        string token = File.ReadAllText(path).Trim();
        if (token.Length < 32)
        {
            throw new ArgumentException($"The operator token in {path} is shorter than 32 characters; use a long random token.");
        }

        return SecretToken.HashWhole(token);
    }

    /// <summary>Whether an <c>Authorization</c> header carries the token whose hash is <paramref name="expectedHash"/>.</summary>
    public static bool Matches(string? authorization, byte[] expectedHash)
    {
        string? token = SecretToken.FromBearer(authorization);
        if (token is null || token.Length > 1024)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), expectedHash);
    }
}
