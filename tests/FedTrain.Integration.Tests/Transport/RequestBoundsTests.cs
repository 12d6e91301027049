using System.Buffers.Binary;
using System.IO.Compression;
using FedTrain.Integration.Tests.Security;
using FedTrain.Protos;
using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace FedTrain.Integration.Tests.Transport;

/// <summary>
/// The bounds the gRPC port of a real coordinator puts on a call before and while its message is read: the longest
/// unary call whatever deadline its client sets, compressed messages that inflate too far, and message prefixes that
/// declare impossible lengths or an unknown compression flag, each answered with gRPC's status for it.
/// </summary>
public sealed class RequestBoundsTests
{
    private const string Heartbeat = "/fedtrain.v1.Coordinator/Heartbeat";

    [Theory]
    [InlineData(null)]
    [InlineData(60)]
    public async Task A_unary_call_is_cut_at_max_unary_call_seconds_whatever_its_deadline(int? deadlineSeconds)
    {
        await using var coordinator = await SecureCoordinator.StartAsync("unary-cap", o => o.Security.Limits.MaxUnaryCallSeconds = 1);
        string credential = await coordinator.EnrolAsync("poller");
        using var channel = GrpcChannel.ForAddress(coordinator.Address);
        var register = new RegisterRequest { WorkerId = "poller", Data = new DataSummary { ExampleCount = 10 } };
        register.Data.LabelHistogram.Add(10);
        await channel.UnaryAsync(CoordinatorMethods.Register, register, new CallOptions(SecureCoordinator.Bearer(credential)));
        DateTime? deadline = deadlineSeconds is { } seconds ? DateTime.UtcNow.AddSeconds(seconds) : null;

        // The long poll would wait 30 s; the coordinator ends it after about a second.
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
            CoordinatorMethods.GetAssignment,
            new AssignmentRequest { WorkerId = "poller", WaitSeconds = 30 },
            new CallOptions(SecureCoordinator.Bearer(credential), deadline)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task A_gzip_message_inflating_past_the_ratio_is_refused_and_a_normal_one_accepted()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("gzip-ratio");
        string credential = await coordinator.EnrolAsync("zipper");
        using var client = RawGrpc.CreateClient();
        var register = new RegisterRequest { WorkerId = "zipper", Version = "gzip", Data = new DataSummary { ExampleCount = 10 } };
        register.Data.LabelHistogram.Add(10);
        // 1 MiB of zeros compresses about a thousandfold, past max_decompression_ratio (100).
        var bomb = new RegisterRequest { WorkerId = "zipper", Version = new string('\0', 1 << 20) };
        KeyValuePair<string, string>[] gzip = [new("grpc-encoding", "gzip")];

        var (normal, _) = await RawGrpc.CallAsync(
            client, coordinator.Address, "/fedtrain.v1.Coordinator/Register", GzipFrame(register), "Bearer " + credential, CancellationToken.None, gzip);
        var (refused, message) = await RawGrpc.CallAsync(
            client, coordinator.Address, "/fedtrain.v1.Coordinator/Register", GzipFrame(bomb), "Bearer " + credential, CancellationToken.None, gzip);

        Assert.Equal((int)StatusCode.OK, normal);
        Assert.Equal((int)StatusCode.ResourceExhausted, refused);
        Assert.Contains("inflates more than 100 times", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prefix_declaring_2_GiB_is_RESOURCE_EXHAUSTED_and_a_compressed_flag_of_2_INTERNAL()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("frame-prefix");
        string credential = await coordinator.EnrolAsync("framer");
        using var client = RawGrpc.CreateClient();
        byte[] body = new HeartbeatRequest { WorkerId = "framer" }.ToByteArray();
        byte[] huge = RawGrpc.Frame(body);
        BinaryPrimitives.WriteUInt32BigEndian(huge.AsSpan(1), 0x80000000);
        byte[] flagged = RawGrpc.Frame(body, flag: 2);

        var (hugeStatus, hugeMessage) = await RawGrpc.CallAsync(client, coordinator.Address, Heartbeat, huge, "Bearer " + credential, CancellationToken.None);
        var (flagStatus, _) = await RawGrpc.CallAsync(client, coordinator.Address, Heartbeat, flagged, "Bearer " + credential, CancellationToken.None);
        var (plainStatus, _) = await RawGrpc.CallAsync(client, coordinator.Address, Heartbeat, RawGrpc.Frame(body), "Bearer " + credential, CancellationToken.None);

        Assert.Equal((int)StatusCode.ResourceExhausted, hugeStatus);
        Assert.Contains("2147483648 bytes", hugeMessage, StringComparison.Ordinal);
        Assert.Equal((int)StatusCode.Internal, flagStatus);
        Assert.Equal((int)StatusCode.OK, plainStatus);
    }

    private static byte[] GzipFrame(IMessage message)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize))
        {
            message.WriteTo(gzip);
        }

        return RawGrpc.Frame(compressed.ToArray(), flag: 1);
    }
}
