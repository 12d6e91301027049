using Google.Protobuf;
using Grpc.Core;

namespace FedTrain.Protos.Transport;

/// <summary>
/// gRPC marshallers for protobuf messages that write straight into the transport's buffer and parse straight from
/// its segments, as the code protoc's gRPC plugin generates does: no intermediate byte array per message.
/// </summary>
public static class ProtobufMarshaller
{
    public static Marshaller<T> For<T>(MessageParser<T> parser)
        where T : class, IMessage<T>, IBufferMessage
    {
        ArgumentNullException.ThrowIfNull(parser);
        return Marshallers.Create(Serialize, context => Deserialize(parser, context));
    }

    private static void Serialize<T>(T message, SerializationContext context)
        where T : IMessage<T>, IBufferMessage
    {
        // The length comes first: the transport writes the 5-byte gRPC prefix before the body.
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }

    private static T Deserialize<T>(MessageParser<T> parser, DeserializationContext context)
        where T : IMessage<T>, IBufferMessage
    {
        try
        {
            return parser.ParseFrom(context.PayloadAsReadOnlySequence());
        }
        catch (InvalidProtocolBufferException ex)
        {
            // INTERNAL, as gRPC answers a message it cannot parse; the text says which message, not the bytes.
            throw Malformed(typeof(T).Name, ex.Message, ex);
        }
    }

    /// <summary>The status of a request message that is not valid protobuf.</summary>
    public static RpcException Malformed(string messageName, string detail, Exception? inner = null) =>
        new(new Status(StatusCode.Internal, $"Failed to parse a {messageName} message: {detail}", inner));
}
