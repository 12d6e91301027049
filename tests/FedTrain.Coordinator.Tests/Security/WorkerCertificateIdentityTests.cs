using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedTrain.Coordinator.Security;

namespace FedTrain.Coordinator.Tests.Security;

/// <summary>Which worker a client certificate names: exactly one SAN URI <c>urn:fedtrain:worker:ID</c>, nothing else.</summary>
public sealed class WorkerCertificateIdentityTests
{
    [Fact]
    public void The_worker_URI_names_the_worker_whatever_else_the_SAN_holds()
    {
        using var certificate = Create("CN=someone-else", san =>
        {
            san.AddDnsName("worker-9.example");
            san.AddUri(new Uri("https://example.org/worker-9"));
            san.AddUri(WorkerCertificateIdentity.UriFor("worker-1"));
        });

        Assert.Equal("worker-1", WorkerCertificateIdentity.WorkerIdOf(certificate));
    }

    [Fact]
    public void The_subject_CN_alone_names_no_worker()
    {
        using var certificate = Create("CN=worker-1", san => san.AddDnsName("worker-1"));

        Assert.Null(WorkerCertificateIdentity.WorkerIdOf(certificate));
    }

    [Fact]
    public void Two_worker_URIs_name_no_worker()
    {
        using var certificate = Create("CN=x", san =>
        {
            san.AddUri(WorkerCertificateIdentity.UriFor("worker-1"));
            san.AddUri(WorkerCertificateIdentity.UriFor("worker-2"));
        });

        Assert.Null(WorkerCertificateIdentity.WorkerIdOf(certificate));
    }

    [Theory]
    [InlineData("urn:fedtrain:worker:")]
    [InlineData("urn:fedtrain:worker:a%0Ab")]
    [InlineData("urn:fedtrain:worker:a/b")]
    [InlineData("URN:FEDTRAIN:WORKER:worker-1")]
    public void A_worker_URI_without_a_valid_worker_id_names_no_worker(string uri)
    {
        using var certificate = Create("CN=x", san => san.AddUri(new Uri(uri)));

        Assert.Null(WorkerCertificateIdentity.WorkerIdOf(certificate));
    }

    private static X509Certificate2 Create(string subject, Action<SubjectAlternativeNameBuilder> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-1), now.AddHours(1));
    }
}
