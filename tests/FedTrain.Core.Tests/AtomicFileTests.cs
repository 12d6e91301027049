using FedTrain.Core.Checkpoints;

namespace FedTrain.Core.Tests;

/// <summary>
/// Publishing a file that a fenced writer must not replace: an existing target is replaced only once the caller's
/// check passes, each write has a temporary file of its own, and leftovers of crashed writes are cleared.
/// </summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fedtrain-atomic-").FullName;

    [Fact]
    public void A_refused_replacement_leaves_the_existing_file_and_no_temporary_file()
    {
        string target = Path.Combine(_directory, "round-0002.safetensors");
        File.WriteAllText(target, "successor's checkpoint");

        var refusal = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(
            target, stream => stream.Write("stale leader's checkpoint"u8), beforeReplacing: () => throw new InvalidOperationException("fenced")));

        Assert.Equal("fenced", refusal.Message);
        Assert.Equal("successor's checkpoint", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(_directory));
    }

    [Fact]
    public void An_allowed_replacement_publishes_the_new_file_and_the_check_runs_only_when_a_file_exists()
    {
        string target = Path.Combine(_directory, "round-0002.safetensors");
        int checks = 0;
        AtomicFile.Write(target, stream => stream.Write("first attempt"u8), beforeReplacing: () => checks++);
        Assert.Equal(0, checks);

        AtomicFile.Write(target, stream => stream.Write("second attempt"u8), beforeReplacing: () => checks++);

        Assert.Equal(1, checks);
        Assert.Equal("second attempt", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Concurrent_writes_of_one_file_each_publish_a_whole_file_of_their_own()
    {
        string target = Path.Combine(_directory, "round-0003.safetensors");
        byte[][] contents = [.. Enumerable.Range(0, 8).Select(i => Enumerable.Repeat((byte)('a' + i), 1 << 20).ToArray())];

        Parallel.For(0, contents.Length, i => AtomicFile.Write(target, stream => stream.Write(contents[i])));

        // Whichever write published last, the file is one writer's content whole, never a mix or a truncation.
        byte[] published = File.ReadAllBytes(target);
        Assert.Contains(contents, c => c.AsSpan().SequenceEqual(published));
        Assert.Equal([target], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Leftovers_of_crashed_writes_are_removed_and_nothing_else()
    {
        string target = Path.Combine(_directory, "round-0001.safetensors");
        AtomicFile.Write(target, stream => stream.Write("committed"u8));
        File.WriteAllText(Path.Combine(_directory, "round-0002.safetensors.0123456789abcdef0123456789abcdef.tmp"), "half");
        File.WriteAllText(Path.Combine(_directory, "round-0003.safetensors.fedcba9876543210fedcba9876543210.tmp"), "half");

        Assert.Equal(2, AtomicFile.RemoveLeftovers(_directory));
        Assert.Equal([target], Directory.GetFiles(_directory));
        Assert.Equal(0, AtomicFile.RemoveLeftovers(Path.Combine(_directory, "absent")));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
