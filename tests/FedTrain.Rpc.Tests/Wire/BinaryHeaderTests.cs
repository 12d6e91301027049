namespace FedTrain.Rpc.Tests.Wire;

public sealed class BinaryHeaderTests
{
    [Theory]
    [InlineData(new byte[] { }, "")]
    [InlineData(new byte[] { 0x00 }, "AA")]
    [InlineData(new byte[] { 0x00, 0x01 }, "AAE")]
    [InlineData(new byte[] { 0x00, 0x01, 0x02 }, "AAEC")]
    [InlineData(new byte[] { 0x00, 0x01, 0x02, 0xFA }, "AAEC+g")]
    public void Emits_unpadded_base64(byte[] value, string expected)
    {
        Assert.Equal(expected, BinaryHeader.Encode(value));
    }

    [Theory]
    [InlineData("AAEC+g", new byte[] { 0x00, 0x01, 0x02, 0xFA })]
    [InlineData("AAEC+g==", new byte[] { 0x00, 0x01, 0x02, 0xFA })]
    [InlineData("AAE", new byte[] { 0x00, 0x01 })]
    [InlineData("AAE=", new byte[] { 0x00, 0x01 })]
    [InlineData("AAEC", new byte[] { 0x00, 0x01, 0x02 })]
    [InlineData("", new byte[] { })]
    [InlineData(" AA ", new byte[] { 0x00 })]
    public void Accepts_padded_and_unpadded(string value, byte[] expected)
    {
        Assert.True(BinaryHeader.TryDecode(value, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("A")] // a single leftover character cannot encode a byte
    [InlineData("AAAAA")]
    [InlineData("AA*A")]
    [InlineData("AA=A")]
    public void Rejects_invalid_base64(string value)
    {
        Assert.False(BinaryHeader.TryDecode(value, out _));
    }

    [Fact]
    public void Splits_comma_joined_values()
    {
        var results = new List<byte[]>();

        Assert.True(BinaryHeader.TryDecodeAll("AAE, AAEC+g==", results));

        Assert.Equal([new byte[] { 0, 1 }, new byte[] { 0, 1, 2, 0xFA }], results);
    }
}
