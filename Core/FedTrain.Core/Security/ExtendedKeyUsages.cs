using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FedTrain.Core.Security;

/// <summary>
/// The extended key usages FedTrain's TLS checks and development certificates name (RFC 5280, 4.2.1.12): one place
/// for the object identifiers that the coordinator, the workers, the cluster's nodes and <c>fedtrain certs dev</c> share.
/// </summary>
public static class ExtendedKeyUsages
{
    /// <summary>id-kp-serverAuth: a TLS server's certificate.</summary>
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <summary>id-kp-clientAuth: a TLS client's certificate.</summary>
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// Whether <paramref name="certificate"/> names <paramref name="usage"/> in its extended key usage extension. One
    /// without the extension names none: a certificate valid for every purpose must not stand in for a specific one.
    /// </summary>
    public static bool Names(X509Certificate2 certificate, string usage)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == usage));
    }
}
