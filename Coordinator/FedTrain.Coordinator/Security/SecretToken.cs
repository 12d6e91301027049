using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// Bearer secrets of the form <c>KIND_ID_SECRET</c>: a public lookup id (64 random bits, hex) and a 256-bit random
/// secret (base64url). Only the SHA-256 of the secret is stored; a presented secret is compared in constant time.
/// </summary>
public static class SecretToken
{
    /// <summary>One-time enrollment tokens.</summary>
    public const string EnrollmentKind = "fte";

    /// <summary>Per-worker credentials.</summary>
    public const string CredentialKind = "ftc";

    /// <summary>The operator token of the HTTP admin API.</summary>
    public const string OperatorKind = "fto";

    private const int IdBytes = 8;
    private const int SecretBytes = 32;

    /// <summary>A new token; <see cref="IssuedToken.Token"/> is shown once and never stored.</summary>
    public static IssuedToken Create(string kind)
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdBytes));
        byte[] secret = RandomNumberGenerator.GetBytes(SecretBytes);
        try
        {
            string token = $"{kind}_{id}_{Base64Url.EncodeToString(secret)}";
            return new IssuedToken(token, id, SHA256.HashData(secret));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Splits a presented token into its id and the SHA-256 of its secret; false when it is not a token of <paramref name="kind"/>.</summary>
    public static bool TryParse(string? token, string kind, out string id, out byte[] secretHash)
    {
        id = string.Empty;
        secretHash = [];
        // Bound the work an attacker can cause before anything is looked up.
        if (token is null || token.Length > 128)
        {
            return false;
        }

        // The secret is base64url, whose alphabet includes '_': split off the kind and id only.
        var parts = token.Split('_', 3);
        if (parts.Length != 3 || parts[0] != kind || parts[1].Length != IdBytes * 2 || !parts[1].All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        Span<byte> secret = stackalloc byte[SecretBytes + 3];
        if (!Base64Url.IsValid(parts[2]) || Base64Url.GetMaxDecodedLength(parts[2].Length) > secret.Length)
        {
            return false;
        }

        int written = Base64Url.DecodeFromChars(parts[2], secret);
        if (written != SecretBytes)
        {
            return false;
        }

        id = parts[1];
        secretHash = SHA256.HashData(secret[..written]);
        CryptographicOperations.ZeroMemory(secret);
        return true;
    }

    /// <summary>Constant-time comparison of two secret hashes.</summary>
    public static bool HashesMatch(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> presented) =>
        stored.Length == presented.Length && CryptographicOperations.FixedTimeEquals(stored, presented);

    /// <summary>The token of an <c>authorization: Bearer TOKEN</c> header value, or null.</summary>
    public static string? FromBearer(string? authorization)
    {
        const string Prefix = "Bearer ";
        return authorization is not null && authorization.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
            ? authorization[Prefix.Length..].Trim()
            : null;
    }

    /// <summary>The SHA-256 of a whole token, for secrets held outside the store (the operator token).</summary>
    public static byte[] HashWhole(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
