namespace FedTrain.Rpc.Tests.Wire;

public sealed class MetadataTests
{
    [Fact]
    public void Keys_are_lowercased_and_the_last_value_wins()
    {
        var metadata = new Metadata { { "X-Worker-Id", "a" }, { "x-worker-id", "b" } };

        Assert.Equal("b", metadata.GetValue("x-worker-id"));
        Assert.Equal("b", metadata.GetValue("X-WORKER-ID"));
        Assert.All(metadata, e => Assert.Equal("x-worker-id", e.Key));
        Assert.Equal(2, metadata.Count);
    }

    [Fact]
    public void Binary_and_text_values_are_kept_apart()
    {
        var metadata = new Metadata { { "x-trace-bin", new byte[] { 1, 2 } }, { "x-trace", "t" } };

        Assert.Equal(new byte[] { 1, 2 }, metadata.GetBytes("x-trace-bin"));
        Assert.Null(metadata.GetValue("x-trace-bin"));
        Assert.Null(metadata.GetBytes("x-trace"));
        Assert.Null(metadata.GetValue("missing"));
    }

    [Theory]
    [InlineData("x-bin-data-bin", false)]
    [InlineData("bad key", true)]
    [InlineData("", true)]
    [InlineData("x:y", true)]
    public void Invalid_keys_are_refused(string key, bool textThrows)
    {
        var metadata = new Metadata();
        if (textThrows)
        {
            Assert.ThrowsAny<ArgumentException>(() => metadata.Add(key, "v"));
        }
        else
        {
            // A -bin key needs a byte[] value.
            Assert.Throws<ArgumentException>(() => metadata.Add(key, "v"));
            metadata.Add(key, [1]);
        }
    }

    [Fact]
    public void Text_values_must_be_printable_ascii_and_bytes_need_a_bin_key()
    {
        var metadata = new Metadata();

        Assert.Throws<ArgumentException>(() => metadata.Add("x-a", "line\nbreak"));
        Assert.Throws<ArgumentException>(() => metadata.Add("x-a", "ünïcode"));
        Assert.Throws<ArgumentException>(() => metadata.Add("x-a", new byte[] { 1 }));
    }
}
