namespace FedTrain.Rpc.Tests.Support;

/// <summary>One default server and channel shared by a test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private TestServer? _server;
    private GrpcChannel? _channel;

    internal TestServer Server => _server ?? throw new InvalidOperationException("Not started.");

    internal GrpcChannel Channel => _channel ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(withHttp1Endpoint: true);
        _channel = _server.CreateChannel();
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
