using FedTrain.Core.Data;

namespace FedTrain.Core.Tests;

public sealed class SplitMix64Tests
{
    [Theory]
    [InlineData("a", 0xAF63DC4C8601EC8CUL)] // the published FNV-1a 64 test vector for "a"
    [InlineData("client-7", 0xB61DE8D208D3783AUL)]
    public void Seeds_from_names_are_fnv1a_and_the_same_in_every_process(string name, ulong expected) =>
        Assert.Equal(expected, SplitMix64.SeedFrom(name));

    [Fact]
    public void Different_names_give_different_seeds() =>
        Assert.NotEqual(SplitMix64.SeedFrom("client-1"), SplitMix64.SeedFrom("client-2"));
}
