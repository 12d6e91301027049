using FedTrain.Coordinator.Security;
using FedTrain.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// Every method of <c>fedtrain.v1.Coordinator</c>, taken from the proto's service descriptor, refuses each kind of
/// bad credential with the right status and a message that reveals nothing, and lets a valid one through.
/// </summary>
public sealed class PerMethodAuthenticationTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    private const int Unauthenticated = 16;
    private const int PermissionDenied = 7;

    private static readonly string[] Cases = ["none", "malformed", "unknown", "enrollment-token", "revoked", "other-run", "other-worker"];

    public static TheoryData<string, string> MethodsAndCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var method in Service.Methods)
        {
            foreach (string kind in Cases)
            {
                data.Add(method.Name, kind);
            }
        }

        return data;
    }

    private static ServiceDescriptor Service => Assert.Single(FederationReflection.Descriptor.Services);

    [Theory]
    [MemberData(nameof(MethodsAndCases))]
    public async Task Bad_credentials_are_refused(string method, string kind)
    {
        var (authorization, bodyWorker, expected) = kind switch
        {
            "none" => ((string?)null, "alpha", Unauthenticated),
            "malformed" => ("Bearer not-a-credential", "alpha", Unauthenticated),
            "unknown" => ("Bearer " + SecretToken.Create(SecretToken.CredentialKind).Token, "alpha", Unauthenticated),
            "enrollment-token" => ("Bearer " + fixture.EnrollmentToken, "delta", Unauthenticated),
            "revoked" => ("Bearer " + fixture.Revoked, "bravo", PermissionDenied),
            "other-run" => ("Bearer " + fixture.OtherRun, "charlie", PermissionDenied),
            "other-worker" => ("Bearer " + fixture.Valid, "bravo", PermissionDenied),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var (status, message) = await CallAsync(method, bodyWorker, authorization);

        Assert.Equal(expected, status);
        Assert.Equal(expected == Unauthenticated ? WorkerAuthenticator.UnauthenticatedDetail : WorkerAuthenticator.PermissionDeniedDetail, message);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task A_valid_credential_naming_its_own_worker_passes_the_gate(string method)
    {
        var (status, _) = await CallAsync(method, "alpha", "Bearer " + fixture.Valid);

        // The handler answers (e.g. FAILED_PRECONDITION: not registered); authentication does not refuse.
        Assert.NotEqual(Unauthenticated, status);
        Assert.NotEqual(PermissionDenied, status);
    }

    public static TheoryData<string> Methods() => new(Service.Methods.Select(m => m.Name));

    [Fact]
    public async Task Health_stays_open_without_credentials()
    {
        using var client = RawGrpc.CreateClient();
        var (status, _) = await RawGrpc.CallAsync(
            client, fixture.Coordinator.Address, "/grpc.health.v1.Health/Check", RawGrpc.Frame([]), null, CancellationToken.None);
        Assert.Equal(0, status);
    }

    private async Task<(int Status, string Message)> CallAsync(string methodName, string workerId, string? authorization)
    {
        var method = Service.FindMethodByName(methodName);
        using var client = RawGrpc.CreateClient();
        return await RawGrpc.CallAsync(
            client, fixture.Coordinator.Address, $"/{Service.FullName}/{method.Name}", RawGrpc.Frame(NamingWorker(method.InputType, workerId)), authorization, CancellationToken.None);
    }

    /// <summary>A request of <paramref name="type"/> whose worker_id (top-level or in a sub-message, e.g. an upload header) is <paramref name="workerId"/>.</summary>
    internal static IMessage NamingWorker(MessageDescriptor type, string workerId)
    {
        var message = type.Parser.ParseFrom(ByteString.Empty);
        if (type.FindFieldByName("worker_id") is { } field)
        {
            field.Accessor.SetValue(message, workerId);
            return message;
        }

        var holder = type.Fields.InDeclarationOrder().First(f => f.FieldType == FieldType.Message && f.MessageType.FindFieldByName("worker_id") is not null);
        holder.Accessor.SetValue(message, NamingWorker(holder.MessageType, workerId));
        return message;
    }
}
