using FedTrain.Protos.Transport;
using FedTrain.Protos.V1;
using FedTrain.Protos.Wire;
using Grpc.Core;

namespace FedTrain.Protos;

/// <summary>
/// Descriptors of the <c>fedtrain.v1.Coordinator</c> service's methods, shared by the coordinator (server)
/// and the workers (client). Checked against the .proto's service definition by a test. Declared here rather than
/// generated so that each side can receive payload chunks through its own marshaller (<see cref="ReceiveUpdate"/>,
/// <see cref="ReceiveModel"/>).
/// </summary>
public static class CoordinatorMethods
{
    public const string ServiceName = "fedtrain.v1.Coordinator";

    public static Method<RegisterRequest, RegisterResponse> Register { get; } =
        Create(MethodType.Unary, "Register", RegisterRequest.Parser, RegisterResponse.Parser);

    public static Method<AssignmentRequest, AssignmentResponse> GetAssignment { get; } =
        Create(MethodType.Unary, "GetAssignment", AssignmentRequest.Parser, AssignmentResponse.Parser);

    /// <summary>The coordinator's side of <c>DownloadModel</c>: typed chunks, each serialised once from the model snapshot.</summary>
    public static Method<DownloadRequest, ModelChunk> DownloadModel { get; } =
        Create(MethodType.ServerStreaming, "DownloadModel", DownloadRequest.Parser, ModelChunk.Parser);

    /// <summary>
    /// The worker's side of <c>DownloadModel</c>, the same RPC: each chunk is parsed in place and only its data is
    /// copied, once, into a pooled buffer, from which the worker assembles the model.
    /// </summary>
    public static Method<DownloadRequest, ReceivedChunk<PayloadHeader>> ReceiveModel { get; } = new(
        MethodType.ServerStreaming, ServiceName, "DownloadModel",
        ProtobufMarshaller.For(DownloadRequest.Parser), ReceivedChunkMarshaller.For<PayloadHeader>(nameof(ModelChunk)));

    /// <summary>The worker's side of <c>UploadUpdate</c>: typed chunks, serialised once into the transport's buffer.</summary>
    public static Method<UpdateChunk, UploadAck> UploadUpdate { get; } =
        Create(MethodType.ClientStreaming, "UploadUpdate", UpdateChunk.Parser, UploadAck.Parser);

    /// <summary>
    /// The coordinator's side of <c>UploadUpdate</c>, the same RPC: each chunk is parsed in place from the transport's
    /// buffers and only its data is copied, once, into a pooled buffer (<see cref="ReceivedChunk{THeader}"/>).
    /// </summary>
    public static Method<ReceivedChunk<UploadHeader>, UploadAck> ReceiveUpdate { get; } = new(
        MethodType.ClientStreaming, ServiceName, "UploadUpdate", ReceivedChunkMarshaller.For<UploadHeader>(nameof(UpdateChunk)), ProtobufMarshaller.For(UploadAck.Parser));

    public static Method<MetricsReport, MetricsAck> ReportMetrics { get; } =
        Create(MethodType.Unary, "ReportMetrics", MetricsReport.Parser, MetricsAck.Parser);

    public static Method<HeartbeatRequest, HeartbeatResponse> Heartbeat { get; } =
        Create(MethodType.Unary, "Heartbeat", HeartbeatRequest.Parser, HeartbeatResponse.Parser);

    public static Method<EvaluationReport, EvaluationAck> ReportEvaluation { get; } =
        Create(MethodType.Unary, "ReportEvaluation", EvaluationReport.Parser, EvaluationAck.Parser);

    public static Method<RunSpecRequest, RunSpec> GetRunSpec { get; } =
        Create(MethodType.Unary, "GetRunSpec", RunSpecRequest.Parser, RunSpec.Parser);

    public static Method<ModuleRequest, ModuleChunk> DownloadModule { get; } =
        Create(MethodType.ServerStreaming, "DownloadModule", ModuleRequest.Parser, ModuleChunk.Parser);

    private static Method<TRequest, TResponse> Create<TRequest, TResponse>(
        MethodType type, string name, Google.Protobuf.MessageParser<TRequest> request, Google.Protobuf.MessageParser<TResponse> response)
        where TRequest : class, Google.Protobuf.IMessage<TRequest>, Google.Protobuf.IBufferMessage
        where TResponse : class, Google.Protobuf.IMessage<TResponse>, Google.Protobuf.IBufferMessage =>
        new(type, ServiceName, name, ProtobufMarshaller.For(request), ProtobufMarshaller.For(response));
}
