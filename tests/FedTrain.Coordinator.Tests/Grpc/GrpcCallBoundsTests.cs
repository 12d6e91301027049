using FedTrain.Coordinator.Grpc;
using Microsoft.AspNetCore.Http;

namespace FedTrain.Coordinator.Tests.Grpc;

/// <summary>The <c>grpc-timeout</c> parsing and lowering with which the gRPC port bounds a unary call's duration.</summary>
public sealed class GrpcCallBoundsTests
{
    public static TheoryData<string, long> ValidTimeouts() => new()
    {
        { "1H", TimeSpan.TicksPerHour },
        { "2M", 2 * TimeSpan.TicksPerMinute },
        { "30S", 30 * TimeSpan.TicksPerSecond },
        { "1500m", 1500 * TimeSpan.TicksPerMillisecond },
        { "250u", 2500 },
        { "1000n", 10 },
        { "0S", 0 },
        { "99999999m", 99_999_999 * TimeSpan.TicksPerMillisecond },
    };

    [Theory]
    [MemberData(nameof(ValidTimeouts))]
    public void A_valid_timeout_parses_to_its_duration(string value, long ticks)
    {
        Assert.True(GrpcCallBounds.TryParseTimeout(value, out var timeout));
        Assert.Equal(TimeSpan.FromTicks(ticks), timeout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("5")]
    [InlineData("5s")]
    [InlineData("5x")]
    [InlineData("-5S")]
    [InlineData("+5S")]
    [InlineData(" 5S")]
    [InlineData("5 S")]
    [InlineData("1.5S")]
    [InlineData("123456789S")]
    public void An_invalid_timeout_is_not_parsed(string value)
    {
        Assert.False(GrpcCallBounds.TryParseTimeout(value, out _));
    }

    [Theory]
    [InlineData("500m", "500m")]
    [InlineData("10S", "10S")]
    [InlineData("11S", "10000m")]
    [InlineData("1H", "10000m")]
    [InlineData("", "10000m")]
    [InlineData("garbage", "10000m")]
    public void A_deadline_longer_than_the_bound_or_none_is_lowered_to_it(string asked, string sent)
    {
        var http = new DefaultHttpContext();
        if (asked.Length > 0)
        {
            http.Request.Headers["grpc-timeout"] = asked;
        }

        GrpcCallBounds.CapDeadline(http.Request, TimeSpan.FromSeconds(10));

        Assert.Equal(sent, http.Request.Headers["grpc-timeout"].ToString());
    }

    [Theory]
    [InlineData(1_000L, "1m")]
    [InlineData(10_005_000L, "1001m")]
    [InlineData(1_000 * TimeSpan.TicksPerDay, "99999999m")]
    public void The_lowered_deadline_is_whole_milliseconds_rounded_up_within_8_digits(long maxTicks, string sent)
    {
        var http = new DefaultHttpContext();

        GrpcCallBounds.CapDeadline(http.Request, TimeSpan.FromTicks(maxTicks));

        Assert.Equal(sent, http.Request.Headers["grpc-timeout"].ToString());
        Assert.True(GrpcCallBounds.TryParseTimeout(sent, out _));
    }
}
