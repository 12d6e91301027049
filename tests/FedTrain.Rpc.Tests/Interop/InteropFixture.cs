using FedTrain.Rpc.Tests.Support;

namespace FedTrain.Rpc.Tests.Interop;

/// <summary>
/// Python stubs generated into a temporary folder, two grpcio servers (plain and gzip-compressing) and our
/// C# server, shared by the interop tests. Fails loudly when the system Python lacks grpcio.
/// </summary>
public sealed class InteropFixture : IAsyncLifetime
{
    private readonly string _stubs = Path.Combine(Path.GetTempPath(), "fedtrain-rpc-interop-" + Guid.NewGuid().ToString("N"));
    private PythonServer? _python;
    private PythonServer? _pythonGzip;
    private TestServer? _server;

    public string StubsDirectory => _stubs;

    internal PythonServer Python => _python ?? throw new InvalidOperationException("Not started.");

    internal PythonServer PythonGzip => _pythonGzip ?? throw new InvalidOperationException("Not started.");

    internal TestServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        var check = await PythonRunner.RunAsync(["-c", "import grpc, grpc_tools.protoc"], TimeSpan.FromSeconds(30));
        if (check.ExitCode != 0)
        {
            throw new InvalidOperationException($"{PythonRunner.Python} cannot import grpc. {PythonRunner.InstallHint}\n{check.Output}");
        }

        Directory.CreateDirectory(_stubs);
        var protos = Path.Combine(AppContext.BaseDirectory, "Protos");
        File.Copy(Path.Combine(protos, "echo.proto"), Path.Combine(_stubs, "echo.proto"));
        File.Copy(Path.Combine(protos, "health.proto"), Path.Combine(_stubs, "health.proto"));
        var protoc = await PythonRunner.RunAsync(
            ["-m", "grpc_tools.protoc", "-I" + _stubs, "--python_out=" + _stubs, "--grpc_python_out=" + _stubs, "echo.proto", "health.proto"],
            TimeSpan.FromSeconds(60));
        if (protoc.ExitCode != 0)
        {
            throw new InvalidOperationException($"grpc_tools.protoc failed: {protoc.Output}");
        }

        _server = await TestServer.StartAsync();
        _python = await PythonServer.StartAsync(_stubs, gzip: false);
        _pythonGzip = await PythonServer.StartAsync(_stubs, gzip: true);
    }

    public async Task DisposeAsync()
    {
        if (_python is not null)
        {
            await _python.DisposeAsync();
        }

        if (_pythonGzip is not null)
        {
            await _pythonGzip.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        try
        {
            Directory.Delete(_stubs, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class InteropGroup : ICollectionFixture<InteropFixture>
{
    public const string Name = "Interop with Python grpcio";
}
