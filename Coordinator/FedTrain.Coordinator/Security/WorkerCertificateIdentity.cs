using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// The worker a client certificate is issued to. Convention: the certificate carries exactly one subject
/// alternative name URI <c>urn:fedtrain:worker:WORKER_ID</c> (as <c>fedtrain certs dev</c> issues). The subject
/// CN is not used: a SAN is typed, and a CA that issues for other purposes is less likely to put one there by accident.
/// </summary>
public static class WorkerCertificateIdentity
{
    public const string UriPrefix = "urn:fedtrain:worker:";

    private const string SubjectAlternativeNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    /// <summary>The SAN URI naming <paramref name="workerId"/>.</summary>
    public static Uri UriFor(string workerId) => new(UriPrefix + workerId);

    /// <summary>
    /// The worker id the certificate names; null when it names none, more than one (then it names no one), or
    /// something that is not a worker id, or when its SAN extension cannot be read.
    /// </summary>
    public static string? WorkerIdOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string? found = null;
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAlternativeNameOid)
            {
                continue;
            }

            foreach (string uri in Uris(extension.RawData) ?? [])
            {
                if (!uri.StartsWith(UriPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (found is not null)
                {
                    return null;
                }

                found = uri[UriPrefix.Length..];
            }
        }

        return found is not null && IsWorkerId(found) ? found : null;
    }

    // The worker id syntax, checked here too so that nothing else from a certificate reaches a log line.
    private static bool IsWorkerId(string id) =>
        id.Length is > 0 and <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>The uniformResourceIdentifier entries of a GeneralNames sequence (RFC 5280, 4.2.1.6); null when malformed.</summary>
    private static List<string>? Uris(byte[] generalNames)
    {
        try
        {
            var reader = new AsnReader(generalNames, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var uris = new List<string>();
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(UriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }

            return uris;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
