using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using FedTrain.TestSupport;

namespace FedTrain.Integration.Tests.Security;

/// <summary>A stranger's slow Enroll call on a real coordinator ends at the server's bound instead of being held.</summary>
public sealed class EnrollDeadlineTests
{
    [Fact]
    public async Task An_Enroll_call_that_never_finishes_its_request_ends_deadline_exceeded()
    {
        await using var coordinator = await SecureCoordinator.StartAsync("enroll-deadline", o => o.Security.Limits.EnrollTimeoutSeconds = 1);
        using var client = RawGrpc.CreateClient();
        using var release = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        byte[] half = new byte[5 + 10];
        BinaryPrimitives.WriteUInt32BigEndian(half.AsSpan(1), 100); // declares 100 bytes, sends 10, then nothing
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(coordinator.Address, "/fedtrain.v1.Enrollment/Enroll"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StallingContent(half, release.Token),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.ParseAdd("trailers");
        request.Headers.TryAddWithoutValidation("authorization", "Bearer " + await coordinator.IssueEnrollmentTokenAsync("slow"));

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, release.Token);
        bool resetByServer = false;
        try
        {
            await response.Content.CopyToAsync(Stream.Null, release.Token);
        }
        catch (HttpRequestException ex) when (ex.InnerException is HttpProtocolException { ErrorCode: 0x8 } && !release.IsCancellationRequested)
        {
            // Grpc.AspNetCore sends the status and then resets the stream whose request never finished (CANCEL); the
            // reset can overtake the trailers on the client's side. Either way the server ended the call at its bound.
            resetByServer = true;
        }

        string? status = response.Headers.TryGetValues("grpc-status", out var h) ? h.First()
            : !resetByServer && response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First() : null;
        bool heldUntilReleased = release.IsCancellationRequested;
        await release.CancelAsync();

        Assert.False(heldUntilReleased, "the server held the call until the client gave up");
        // DEADLINE_EXCEEDED, from the server: the client set no deadline of its own.
        Assert.True(status == "4" || (resetByServer && status is null), $"status {status ?? "(none)"}, reset by server: {resetByServer}");
    }
}
