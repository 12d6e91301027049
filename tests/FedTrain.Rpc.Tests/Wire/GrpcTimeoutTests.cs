namespace FedTrain.Rpc.Tests.Wire;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 2 * 60 * 10_000_000L)]
    [InlineData("3S", 3 * 10_000_000L)]
    [InlineData("4980m", 4980 * 10_000L)]
    [InlineData("250u", 2500L)]
    [InlineData("1000n", 10L)]
    [InlineData("1n", 1L)] // Rounded up to one tick, never to zero.
    [InlineData("0m", 0L)]
    [InlineData("00000007S", 7 * 10_000_000L)]
    [InlineData("99999999H", 99_999_999L * 36_000_000_000L)]
    public void Parses_every_unit(string value, long expectedTicks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(expectedTicks, timeout.Ticks);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("5")]
    [InlineData("123456789S")] // nine digits
    [InlineData("10s")] // unit is case-sensitive: 's' is not seconds
    [InlineData("10x")]
    [InlineData("-5S")]
    [InlineData("+5S")]
    [InlineData(" 5S")]
    [InlineData("5 S")]
    [InlineData("1.5S")]
    [InlineData("٣S")] // non-ASCII digit
    public void Rejects_invalid_values(string? value)
    {
        Assert.False(GrpcTimeout.TryParse(value, out _));
    }

    [Theory]
    [InlineData(1L, "100n")]
    [InlineData(999_999L, "99999900n")]
    [InlineData(1_000_000L, "100000u")]
    [InlineData(1_000_001L, "100001u")] // 100,000.1 µs rounds up
    [InlineData(3_000_000_000L, "300000m")] // 5 minutes
    [InlineData(1_000_000_000_000L, "100000S")]
    [InlineData(100_000_000_000_000L, "10000000S")]
    [InlineData(1_000_000_000_000_000L, "1666667M")]
    public void Formats_in_the_finest_unit_that_fits_eight_digits(long ticks, string expected)
    {
        var formatted = GrpcTimeout.Format(TimeSpan.FromTicks(ticks));

        Assert.Equal(expected, formatted);
        Assert.True(formatted.Length <= 9);
    }

    [Fact]
    public void Formats_huge_timeouts_in_hours_and_clamps_at_eight_digits()
    {
        Assert.EndsWith("H", GrpcTimeout.Format(TimeSpan.FromDays(100_000)), StringComparison.Ordinal);
        Assert.Equal("99999999H", GrpcTimeout.Format(TimeSpan.MaxValue));
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(12_345L)]
    [InlineData(9_999_999L)]
    [InlineData(36_000_000_001L)]
    [InlineData(123_456_789_012_345L)]
    public void Round_trip_never_shortens_the_deadline(long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(GrpcTimeout.Format(TimeSpan.FromTicks(ticks)), out var parsed));
        Assert.True(parsed.Ticks >= ticks);
    }
}
