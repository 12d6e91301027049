namespace FedTrain.Rpc.Tests.Interop;

/// <summary>A real gRPC client (grpcio, gRPC C-core) against our server.</summary>
[Collection(InteropGroup.Name)]
public sealed class PythonClientTests(InteropFixture fixture)
{
    [Theory]
    [InlineData("health")]
    [InlineData("unary")]
    [InlineData("server_stream")]
    [InlineData("server_stream_error")]
    [InlineData("client_stream")]
    [InlineData("raw_client_stream")]
    [InlineData("duplex")]
    [InlineData("error")]
    [InlineData("deadline")]
    [InlineData("unimplemented")]
    [InlineData("too_large")]
    [InlineData("gzip_request")]
    public async Task Python_client_case_passes_against_our_server(string testCase)
    {
        var target = $"127.0.0.1:{fixture.Server.Address.Port}";

        var (exitCode, output) = await PythonRunner.RunAsync(
            [PythonRunner.ScriptPath("echo_client.py"), "--stubs", fixture.StubsDirectory, "--target", target, testCase],
            TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, $"echo_client.py {testCase} exited {exitCode}: {output}");
    }

    [Fact]
    public async Task Python_deadline_cancels_our_handler()
    {
        var (exitCode, output) = await PythonRunner.RunAsync(
            [PythonRunner.ScriptPath("echo_client.py"), "--stubs", fixture.StubsDirectory, "--target", $"127.0.0.1:{fixture.Server.Address.Port}", "deadline"],
            TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, output);
        await fixture.Server.Echo.WaitForServerCancellationAsync("py-deadline");
    }
}
