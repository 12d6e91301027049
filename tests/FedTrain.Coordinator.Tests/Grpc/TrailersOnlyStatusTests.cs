using FedTrain.Coordinator.Grpc;

namespace FedTrain.Coordinator.Tests.Grpc;

/// <summary>The <c>grpc-message</c> percent-encoding of the statuses the gRPC port's middleware answers alone.</summary>
public sealed class TrailersOnlyStatusTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("Too many health Watch streams (at most 4).", "Too many health Watch streams (at most 4).")]
    [InlineData(" ~!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}", " ~!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}")]
    [InlineData("100% done", "100%25 done")]
    [InlineData("%%", "%25%25")]
    [InlineData("line 1\nline 2\t\r", "line 1%0Aline 2%09%0D")]
    [InlineData("\u007f", "%7F")]
    [InlineData("naïve", "na%C3%AFve")]
    [InlineData("✓", "%E2%9C%93")]
    [InlineData("😀", "%F0%9F%98%80")]
    public void Printable_ASCII_is_kept_and_percent_control_and_non_ASCII_bytes_are_encoded(string text, string encoded)
    {
        Assert.Equal(encoded, TrailersOnlyStatus.PercentEncode(text));
    }

    [Fact]
    public void Decoding_gives_back_the_text()
    {
        const string text = "naïve ✓ 100% done\nline 2";

        string encoded = TrailersOnlyStatus.PercentEncode(text);

        Assert.All(encoded, c => Assert.InRange(c, ' ', '~'));
        Assert.Equal(text, Uri.UnescapeDataString(encoded));
    }
}
