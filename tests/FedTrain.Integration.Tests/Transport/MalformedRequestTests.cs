using System.IO.Compression;
using FedTrain.Integration.Tests.Security;
using FedTrain.Protos.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FedTrain.Integration.Tests.Transport;

/// <summary>
/// Malformed and unexpected gRPC requests, sent over raw HTTP/2 to a real coordinator (in this process,
/// authentication on), each answered with the status gRPC's protocol gives it and a message that says what was
/// wrong: never UNKNOWN, the status of a server bug.
/// </summary>
public sealed class MalformedRequestTests(MalformedRequestTests.ProbedCoordinator fixture) : IClassFixture<MalformedRequestTests.ProbedCoordinator>
{
    private const string Register = "/fedtrain.v1.Coordinator/Register";

    public static TheoryData<string> Cases() =>
    [
        "compressed flag without grpc-encoding",
        "unknown grpc-encoding",
        "truncated message",
        "no message on a unary call",
        "two messages on a unary call",
        "malformed protobuf",
        "deflate message inflating past the ratio",
        "corrupt gzip",
        "health probe that is not UTF-8",
        "health probe over 512 bytes",
        "enrolment over its size limit",
        "unknown service",
        "unknown service without a credential",
        "upload without a header",
        "empty upload",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_malformed_request_gets_its_protocol_status_and_a_message(string testCase)
    {
        byte[] register = new RegisterRequest { WorkerId = ProbedCoordinator.WorkerId }.ToByteArray();
        string credential = "Bearer " + fixture.Credential;
        KeyValuePair<string, string>[] none = [];
        var (path, body, authorization, headers, expected, message) = testCase switch
        {
            "compressed flag without grpc-encoding" => (Register, RawGrpc.Frame(register, flag: 1), credential, none, StatusCode.Internal, "did not include grpc-encoding"),
            "unknown grpc-encoding" => (Register, RawGrpc.Frame(register, flag: 1), credential, Encoding("snappy"), StatusCode.Unimplemented, "Unsupported grpc-encoding value 'snappy'"),
            "truncated message" => (Register, RawGrpc.Frame(register)[..7], credential, none, StatusCode.Internal, "Incomplete message"),
            "no message on a unary call" => (Register, [], credential, none, StatusCode.Internal, "Incomplete message"),
            "two messages on a unary call" => (Register, [.. RawGrpc.Frame(register), .. RawGrpc.Frame(register)], credential, none, StatusCode.Internal, "Additional data"),
            "malformed protobuf" => (Register, RawGrpc.Frame([0x0A, 0x05, 0x61]), credential, none, StatusCode.Internal, "Failed to parse a RegisterRequest message"),
            "deflate message inflating past the ratio" => (Register, RawGrpc.Frame(Deflate(new RegisterRequest { Version = new string('x', 1 << 20) }), flag: 1), credential, Encoding("deflate"), StatusCode.ResourceExhausted, "inflates more than 100 times"),
            "corrupt gzip" => (Register, RawGrpc.Frame([.. Enumerable.Range(1, 12).Select(i => (byte)i)], flag: 1), credential, Encoding("gzip"), StatusCode.Internal, "The compressed message is corrupt"),
            "health probe that is not UTF-8" => ("/grpc.health.v1.Health/Check", RawGrpc.Frame([0x0A, 0x02, 0xC3, 0x28]), null, none, StatusCode.Internal, "Failed to parse a HealthCheckRequest message"),
            "health probe over 512 bytes" => ("/grpc.health.v1.Health/Check", RawGrpc.Frame(new byte[600]), null, none, StatusCode.ResourceExhausted, "exceeds the maximum"),
            "enrolment over its size limit" => ("/fedtrain.v1.Enrollment/Enroll", RawGrpc.Frame(new byte[100_000]), null, none, StatusCode.ResourceExhausted, "exceeds the maximum"),
            "unknown service" => ("/no.such.Service/Method", RawGrpc.Frame(register), credential, none, StatusCode.Unimplemented, "unimplemented"),
            "unknown service without a credential" => ("/no.such.Service/Method", RawGrpc.Frame(register), null, none, StatusCode.Unauthenticated, "credential"),
            "upload without a header" => ("/fedtrain.v1.Coordinator/UploadUpdate", RawGrpc.Frame(new UpdateChunk { Data = ByteString.CopyFrom(1, 2) }), credential, none, StatusCode.InvalidArgument, "must start with a header"),
            "empty upload" => ("/fedtrain.v1.Coordinator/UploadUpdate", [], credential, none, StatusCode.InvalidArgument, "must start with a header"),
            _ => throw new ArgumentOutOfRangeException(nameof(testCase)),
        };
        using var client = RawGrpc.CreateClient();

        var (status, detail) = await RawGrpc.CallAsync(client, fixture.Secure.Address, path, body, authorization, CancellationToken.None, headers);

        Assert.True(status == (int)expected, $"{testCase}: expected {expected}, got {(StatusCode)status} '{detail}'");
        Assert.Contains(message, detail, StringComparison.Ordinal);
    }

    private static KeyValuePair<string, string>[] Encoding(string name) => [new("grpc-encoding", name)];

    private static byte[] Deflate(IMessage message)
    {
        using var compressed = new MemoryStream();
        using (var deflate = new ZLibStream(compressed, CompressionLevel.SmallestSize))
        {
            message.WriteTo(deflate);
        }

        return compressed.ToArray();
    }

    /// <summary>One coordinator (no round starts) and one enrolled worker for all the cases.</summary>
    public sealed class ProbedCoordinator : IAsyncLifetime
    {
        public const string WorkerId = "prober";

        internal SecureCoordinator Secure { get; private set; } = null!;

        public string Credential { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Secure = await SecureCoordinator.StartAsync("malformed");
            Credential = await Secure.EnrolAsync(WorkerId);
        }

        public async Task DisposeAsync() => await Secure.DisposeAsync();
    }
}
