using FedTrain.Rpc.Tests.Echo;

namespace FedTrain.Rpc.Tests.Support;

internal static class EchoMethods
{
    public const string Service = "fedtrain.testing.Echo";

    public static readonly Method<EchoMessage, EchoMessage> Unary =
        new(MethodType.Unary, Service, "Unary", EchoMessage.Parser, EchoMessage.Parser);

    public static readonly Method<EchoMessage, EchoMessage> ServerStream =
        new(MethodType.ServerStreaming, Service, "ServerStream", EchoMessage.Parser, EchoMessage.Parser);

    public static readonly Method<EchoMessage, EchoMessage> ClientStream =
        new(MethodType.ClientStreaming, Service, "ClientStream", EchoMessage.Parser, EchoMessage.Parser);

    /// <summary>ClientStream served through the raw-payload handler (<see cref="GrpcRouter.MapClientStreamingPayloads"/>); not in echo.proto.</summary>
    public static readonly Method<EchoMessage, EchoMessage> RawClientStream =
        new(MethodType.ClientStreaming, Service, "RawClientStream", EchoMessage.Parser, EchoMessage.Parser);

    public static readonly Method<EchoMessage, EchoMessage> Duplex =
        new(MethodType.DuplexStreaming, Service, "Duplex", EchoMessage.Parser, EchoMessage.Parser);
}
