using FedTrain.Core.Data;

namespace FedTrain.Core.Tests;

/// <summary>The byte-level corpus reader, on a small folder written here and on Debian's fortunes.</summary>
public sealed class TextCorpusTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fedtrain-corpus-" + Guid.NewGuid().ToString("N"));

    public TextCorpusTests()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "alpha"), string.Concat(Enumerable.Repeat("abcdefghij\n%\n", 10)));
        File.WriteAllText(Path.Combine(_directory, "beta"), new string('z', 41));
        File.WriteAllText(Path.Combine(_directory, "alpha.dat"), "index, not text");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Windows_overlap_by_one_byte_and_carry_their_file_as_label()
    {
        var train = TextCorpus.Load(_directory, window: 5, train: true);
        var test = TextCorpus.Load(_directory, window: 5, train: false);
        // alpha without its '%' lines is 110 bytes: 27 windows of 5 every 4 bytes, 3 held out; beta: 10 windows, 1 held out.
        Assert.Equal(24 + 9, train.Count);
        Assert.Equal(3 + 1, test.Count);
        Assert.Equal((1, 1, 5, 256), (train.Channels, train.Height, train.Width, train.Classes));
        Assert.Equal("abcde", Text(train, 0));
        Assert.Equal("efghi", Text(train, 1));
        Assert.Equal(24, train.Labels.Count(l => l == 0));
        Assert.Equal(9, train.Labels.Count(l => l == 1));
        Assert.DoesNotContain(train.Images, b => b == '%');
        Assert.Equal("zzzzz", Text(test, 3));
    }

    [Fact]
    public void A_limit_keeps_windows_spread_over_every_file()
    {
        var limited = TextCorpus.Load(_directory, window: 5, train: true, limit: 11);
        Assert.Equal(11, limited.Count);
        Assert.Contains(limited.Labels, l => l == 1);
    }

    [Fact]
    public void Bad_folders_and_windows_are_refused()
    {
        Assert.Throws<FileNotFoundException>(() => TextCorpus.Load(Path.Combine(_directory, "missing"), 5, train: true));
        Assert.Throws<ArgumentException>(() => TextCorpus.Load(_directory, 1, train: true));
        Assert.Throws<InvalidDataException>(() => TextCorpus.Load(_directory, 500, train: true));
    }

    [Fact]
    public void Debian_fortunes_split_by_category()
    {
        string[] files = TextCorpus.CategoryFiles(TextCorpus.FortunesDirectory);
        Assert.Contains(files, f => Path.GetFileName(f) == "computers");
        Assert.DoesNotContain(files, f => Path.GetFileName(f).Contains('.', StringComparison.Ordinal));
        var test = TextCorpus.Load(TextCorpus.FortunesDirectory, 65, train: false);
        Assert.True(test.Count > 1000, $"{test.Count} test windows");
        Assert.Equal(files.Length, test.Labels.Distinct().Count());
    }

    private static string Text(ImageDataset data, int index) =>
        new(data.Images.AsSpan(index * data.Width, data.Width).ToArray().Select(b => (char)b).ToArray());
}
