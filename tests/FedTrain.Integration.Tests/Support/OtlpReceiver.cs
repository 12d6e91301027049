using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FedTrain.Integration.Tests.Otlp;
using FedTrain.Protos.Transport;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FedTrain.Integration.Tests.Support;

/// <summary>
/// An OTLP receiver on loopback, as a collector would be: http/protobuf (<c>POST /v1/traces</c>,
/// <c>/v1/metrics</c>) on one port and gRPC (<c>TraceService/Export</c>, <c>MetricsService/Export</c>) on another.
/// It keeps every decoded request.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app, int httpPort, int grpcPort)
    {
        _app = app;
        HttpEndpoint = $"http://127.0.0.1:{httpPort}";
        GrpcEndpoint = $"http://127.0.0.1:{grpcPort}";
    }

    /// <summary>Base endpoint for OTEL_EXPORTER_OTLP_ENDPOINT with http/protobuf (the exporter appends /v1/...).</summary>
    public string HttpEndpoint { get; }

    /// <summary>Endpoint for OTEL_EXPORTER_OTLP_ENDPOINT with grpc.</summary>
    public string GrpcEndpoint { get; }

    public ConcurrentQueue<(string Protocol, ResourceSpans Spans)> Traces { get; } = new();

    public ConcurrentQueue<(string Protocol, ResourceMetrics Metrics)> Metrics { get; } = new();

    public static async Task<OtlpReceiver> StartAsync()
    {
        int httpPort = FreePort();
        int grpcPort = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, httpPort, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Listen(IPAddress.Loopback, grpcPort, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = 16 << 20);
        var holder = new ReceiverHolder();
        builder.Services.AddSingleton(_ => holder.Receiver!);
        builder.Services.AddSingleton<IServiceMethodProvider<OtlpReceiver>, ExportMethods>();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, httpPort, grpcPort);
        holder.Receiver = receiver;
        app.MapGrpcService<OtlpReceiver>();
        app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            receiver.Add("http/protobuf", ExportTraceServiceRequest.Parser.ParseFrom(await ReadBodyAsync(request)));
            return Protobuf(new ExportTraceServiceResponse());
        });
        app.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            receiver.Add("http/protobuf", ExportMetricsServiceRequest.Parser.ParseFrom(await ReadBodyAsync(request)));
            return Protobuf(new ExportMetricsServiceResponse());
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Every received span with the service.name and service.instance.id of its resource.</summary>
    public IReadOnlyList<ReceivedSpan> Spans() =>
        Traces.SelectMany(t => t.Spans.ScopeSpans.SelectMany(s => s.Spans.Select(span => new ReceivedSpan(
            Attribute(t.Spans.Resource, "service.name"), Attribute(t.Spans.Resource, "service.instance.id"), span, t.Protocol)))).ToList();

    /// <summary>Every received metric with the service.name of its resource.</summary>
    public IReadOnlyList<(string Service, Metric Metric, Resource Resource)> MetricsReceived() =>
        Metrics.SelectMany(m => m.Metrics.ScopeMetrics.SelectMany(s => s.Metrics.Select(metric => (Attribute(m.Metrics.Resource, "service.name") ?? "?", metric, m.Metrics.Resource)))).ToList();

    public static string? Attribute(Resource? resource, string key) =>
        resource?.Attributes.FirstOrDefault(a => a.Key == key)?.Value?.StringValue;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    internal void Add(string protocol, ExportTraceServiceRequest request)
    {
        foreach (var spans in request.ResourceSpans)
        {
            Traces.Enqueue((protocol, spans));
        }
    }

    internal void Add(string protocol, ExportMetricsServiceRequest request)
    {
        foreach (var metrics in request.ResourceMetrics)
        {
            Metrics.Enqueue((protocol, metrics));
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        if (request.Headers.ContentEncoding.ToString() == "gzip")
        {
            await using var gzip = new System.IO.Compression.GZipStream(request.Body, System.IO.Compression.CompressionMode.Decompress);
            await gzip.CopyToAsync(buffer);
        }
        else
        {
            await request.Body.CopyToAsync(buffer);
        }

        return buffer.ToArray();
    }

    private static IResult Protobuf(IMessage message) => Results.Bytes(message.ToByteArray(), "application/x-protobuf");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The receiver is made after the host is built; the container gets it through this.</summary>
internal sealed class ReceiverHolder
{
    public OtlpReceiver? Receiver { get; set; }
}

/// <summary>The two OTLP gRPC Export methods, declared by hand over the messages of the test's OTLP subset.</summary>
internal sealed class ExportMethods : IServiceMethodProvider<OtlpReceiver>
{
    private static readonly Method<ExportTraceServiceRequest, ExportTraceServiceResponse> Traces = new(
        MethodType.Unary, "opentelemetry.proto.collector.trace.v1.TraceService", "Export",
        ProtobufMarshaller.For(ExportTraceServiceRequest.Parser), ProtobufMarshaller.For(ExportTraceServiceResponse.Parser));

    private static readonly Method<ExportMetricsServiceRequest, ExportMetricsServiceResponse> Metrics = new(
        MethodType.Unary, "opentelemetry.proto.collector.metrics.v1.MetricsService", "Export",
        ProtobufMarshaller.For(ExportMetricsServiceRequest.Parser), ProtobufMarshaller.For(ExportMetricsServiceResponse.Parser));

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<OtlpReceiver> context)
    {
        context.AddUnaryMethod(Traces, [], (receiver, request, _) =>
        {
            receiver.Add("grpc", request);
            return Task.FromResult(new ExportTraceServiceResponse());
        });
        context.AddUnaryMethod(Metrics, [], (receiver, request, _) =>
        {
            receiver.Add("grpc", request);
            return Task.FromResult(new ExportMetricsServiceResponse());
        });
    }
}

/// <summary>A span as the receiver got it, with the identity of the process that sent it.</summary>
internal sealed record ReceivedSpan(string? Service, string? Instance, Span Span, string Protocol)
{
    public string TraceId => Convert.ToHexStringLower(Span.TraceId.Span);

    public string SpanId => Convert.ToHexStringLower(Span.SpanId.Span);

    public string ParentId => Convert.ToHexStringLower(Span.ParentSpanId.Span);

    public string Name => Span.Name;
}
