using System.Buffers.Binary;
using FedTrain.Protos.V1;
using Google.Protobuf;

namespace FedTrain.Integration.Tests.Security;

/// <summary>
/// Seeded generator of gRPC request bodies: valid messages, mutated messages (bit flips, insertions, deletions,
/// truncations), random bytes, and broken frame headers (bad flags, lengths beyond the data or the limit).
/// </summary>
internal sealed class FuzzFrameGenerator(int seed, string workerId)
{
    /// <summary>A call's request: path, body, authorization and extra headers; frames counts the frames in the body.</summary>
    public (string Path, byte[] Body, string? Authorization, KeyValuePair<string, string>[] Headers) NextCall(string credential, out int frames)
    {
        string path = NextPath();
        byte[] body = NextBody(path, out frames);
        int roll = _random.Next(100);
        string? authorization = roll < 90 ? "Bearer " + credential : roll < 95 ? null : "Bearer ftc_0123456789abcdef_" + new string('A', 43);
        KeyValuePair<string, string>[] headers = _random.Next(100) switch
        {
            < 2 => [new("grpc-encoding", "gzip")],
            < 3 => [new("grpc-encoding", "snappy")],
            < 4 => [new("grpc-timeout", "99999999999H")],
            _ => [],
        };
        return (path, body, authorization, headers);
    }

    private readonly Random _random = new(seed);

    public static readonly string[] Paths =
    [
        "/fedtrain.v1.Coordinator/Register", "/fedtrain.v1.Coordinator/GetAssignment", "/fedtrain.v1.Coordinator/DownloadModel",
        "/fedtrain.v1.Coordinator/UploadUpdate", "/fedtrain.v1.Coordinator/ReportMetrics", "/fedtrain.v1.Coordinator/Heartbeat",
        "/fedtrain.v1.Coordinator/ReportEvaluation", "/fedtrain.v1.Enrollment/Enroll", "/grpc.health.v1.Health/Check",
        "/fedtrain.v1.Coordinator/NoSuchMethod",
    ];

    public Random Random => _random;

    public string NextPath() => Paths[_random.Next(Paths.Length)];

    /// <summary>A request body of one or more frames; <paramref name="frames"/> is how many frames it holds.</summary>
    public byte[] NextBody(string path, out int frames)
    {
        int roll = _random.Next(100);
        frames = roll < 40 ? 1 : roll < 80 ? _random.Next(2, 6) : _random.Next(6, 17);
        using var body = new MemoryStream();
        for (int i = 0; i < frames; i++)
        {
            WriteFrame(body, path);
        }

        return body.ToArray();
    }

    private void WriteFrame(MemoryStream body, string path)
    {
        byte[] payload = _random.Next(4) switch
        {
            0 => Valid(path),
            1 or 2 => Mutate(Valid(path)),
            _ => RandomBytes(_random.Next(0, 300)),
        };
        Span<byte> header = stackalloc byte[5];
        int headerRoll = _random.Next(100);
        header[0] = headerRoll switch
        {
            < 3 => 1,                               // "compressed" without (or with a bogus) grpc-encoding
            < 5 => (byte)_random.Next(2, 256),      // not a valid flag
            _ => 0,
        };
        uint length = headerRoll switch
        {
            >= 5 and < 8 => (uint)payload.Length + (uint)_random.Next(1, 1000), // claims more than is sent
            >= 8 and < 10 => (uint)_random.NextInt64(5L << 20, uint.MaxValue),  // beyond the message limit
            _ => (uint)payload.Length,
        };
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], length);
        body.Write(header);
        body.Write(payload);
    }

    private byte[] Valid(string path) => (path[(path.LastIndexOf('/') + 1)..] switch
    {
        "Register" => Register(),
        "GetAssignment" => new AssignmentRequest { WorkerId = workerId, WaitSeconds = 0 },
        "DownloadModel" => new DownloadRequest { WorkerId = workerId, Round = _random.Next(0, 3), ModelVersion = _random.Next(0, 3), RunId = "run-x" },
        "UploadUpdate" => Upload(),
        "ReportMetrics" => new MetricsReport { WorkerId = workerId, Round = 1, TrainLoss = _random.NextDouble(), ExampleCount = _random.Next(-5, 100) },
        "Heartbeat" => new HeartbeatRequest { WorkerId = workerId },
        "ReportEvaluation" => Evaluation(),
        "Enroll" => new EnrollRequest { WorkerId = workerId },
        _ => (IMessage)new HeartbeatRequest { WorkerId = workerId },
    }).ToByteArray();

    private RegisterRequest Register()
    {
        var request = new RegisterRequest { WorkerId = workerId, Data = new DataSummary { ExampleCount = 10 } };
        request.Data.LabelHistogram.Add(10);
        return request;
    }

    private UpdateChunk Upload() => _random.Next(2) == 0
        ? new UpdateChunk { Header = new UploadHeader { WorkerId = workerId, Round = 1, ExampleCount = _random.Next(0, 20), RunId = "run-x" } }
        : new UpdateChunk { Data = ByteString.CopyFrom(RandomBytes(_random.Next(0, 512))) };

    private EvaluationReport Evaluation()
    {
        var report = new EvaluationReport { WorkerId = workerId, Round = 1, ModelVersion = 1 };
        report.Clients.Add(new ClientEvaluation { ClientId = workerId, Accuracy = _random.NextDouble(), Loss = _random.NextDouble(), ExampleCount = 5 });
        return report;
    }

    private byte[] Mutate(byte[] input)
    {
        var bytes = new List<byte>(input);
        int edits = _random.Next(1, 5);
        for (int i = 0; i < edits; i++)
        {
            int position = bytes.Count == 0 ? 0 : _random.Next(bytes.Count);
            switch (_random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes[position] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[position] = (byte)_random.Next(256);
                    break;
                case 2:
                    bytes.InsertRange(position, RandomBytes(_random.Next(1, 16)));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveRange(position, Math.Min(bytes.Count - position, _random.Next(1, 8)));
                    break;
                default:
                    // A varint that never ends, or a length-delimited field longer than the message.
                    bytes.InsertRange(position, _random.Next(2) == 0 ? [0x0A, 0xFF, 0xFF, 0xFF, 0x7F] : [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
                    break;
            }
        }

        return [.. bytes];
    }

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }
}
