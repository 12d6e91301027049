namespace FedTrain.Rpc.Tests.Wire;

public sealed class PercentEncodingTests
{
    [Theory]
    [InlineData("plain ASCII text", "plain ASCII text")]
    [InlineData("100%", "100%25")]
    [InlineData("line1\nline2", "line1%0Aline2")]
    [InlineData("tab\there", "tab%09here")]
    [InlineData("naïve", "na%C3%AFve")]
    [InlineData("✓ done", "%E2%9C%93 done")]
    [InlineData("😀", "%F0%9F%98%80")]
    [InlineData("~ and \u007f", "~ and %7F")]
    [InlineData("", "")]
    public void Encodes_utf8_and_escapes_controls_and_percent(string value, string expected)
    {
        Assert.Equal(expected, PercentEncoding.Encode(value));
        Assert.Equal(value, PercentEncoding.Decode(expected));
    }

    [Theory]
    [InlineData("%", "%")]
    [InlineData("%4", "%4")]
    [InlineData("50%-off", "50%-off")]
    [InlineData("%zz", "%zz")]
    [InlineData("%G1ok", "%G1ok")]
    [InlineData("end%", "end%")]
    [InlineData("%e2%9c%93", "✓")] // lower-case hex is accepted
    [InlineData("%FF", "\uFFFD")] // invalid UTF-8 becomes U+FFFD, never an exception
    [InlineData("raw é", "raw é")] // not valid on the wire, but kept
    public void Decoding_never_fails_and_keeps_broken_escapes(string value, string expected)
    {
        Assert.Equal(expected, PercentEncoding.Decode(value));
    }

    [Fact]
    public void Encoded_text_is_printable_ascii_only()
    {
        var all = new string(Enumerable.Range(1, 0x17F).Select(i => (char)i).ToArray());

        var encoded = PercentEncoding.Encode(all);

        Assert.All(encoded, c => Assert.InRange(c, ' ', '~'));
        Assert.Equal(all, PercentEncoding.Decode(encoded));
    }
}
