using FedTrain.Protos.V1;
using FedTrain.Rpc;

namespace FedTrain.Protos;

/// <summary>
/// Descriptors of the <c>fedtrain.v1.Coordinator</c> service's methods, shared by the coordinator (server)
/// and the workers (client). Checked against the .proto's service definition by a test.
/// </summary>
public static class CoordinatorMethods
{
    public const string ServiceName = "fedtrain.v1.Coordinator";

    public static Method<RegisterRequest, RegisterResponse> Register { get; } =
        new(MethodType.Unary, ServiceName, "Register", RegisterRequest.Parser, RegisterResponse.Parser);

    public static Method<AssignmentRequest, AssignmentResponse> GetAssignment { get; } =
        new(MethodType.Unary, ServiceName, "GetAssignment", AssignmentRequest.Parser, AssignmentResponse.Parser);

    public static Method<DownloadRequest, ModelChunk> DownloadModel { get; } =
        new(MethodType.ServerStreaming, ServiceName, "DownloadModel", DownloadRequest.Parser, ModelChunk.Parser);

    public static Method<UpdateChunk, UploadAck> UploadUpdate { get; } =
        new(MethodType.ClientStreaming, ServiceName, "UploadUpdate", UpdateChunk.Parser, UploadAck.Parser);

    public static Method<MetricsReport, MetricsAck> ReportMetrics { get; } =
        new(MethodType.Unary, ServiceName, "ReportMetrics", MetricsReport.Parser, MetricsAck.Parser);

    public static Method<HeartbeatRequest, HeartbeatResponse> Heartbeat { get; } =
        new(MethodType.Unary, ServiceName, "Heartbeat", HeartbeatRequest.Parser, HeartbeatResponse.Parser);

    public static Method<EvaluationReport, EvaluationAck> ReportEvaluation { get; } =
        new(MethodType.Unary, ServiceName, "ReportEvaluation", EvaluationReport.Parser, EvaluationAck.Parser);

    public static Method<ModuleRequest, ModuleChunk> DownloadModule { get; } =
        new(MethodType.ServerStreaming, ServiceName, "DownloadModule", ModuleRequest.Parser, ModuleChunk.Parser);
}
