using FedTrain.Core.Data.Formats;

namespace FedTrain.Core.Tests.DataSources;

/// <summary>How <c>--data</c>'s format is told from the path, and how <c>--data-format</c> is read.</summary>
public sealed class DataFormatDetectionTests : IDisposable
{
    private readonly TempFolder _folder = new("detect");

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("rows.csv", DataFormat.Csv)]
    [InlineData("rows.TSV", DataFormat.Csv)]
    [InlineData("rows.parquet", DataFormat.Parquet)]
    [InlineData("arrays.safetensors", DataFormat.Safetensors)]
    [InlineData("x.npy", DataFormat.Npy)]
    public void Files_are_told_by_their_extension(string name, DataFormat expected) =>
        Assert.Equal(expected, DataFormats.Detect(_folder.File(name, "-")));

    [Fact]
    public void Folders_are_told_by_what_they_hold()
    {
        Assert.Equal(DataFormat.Idx, DataFormats.Detect("/usr/share/datasets/fashion-mnist"));
        _folder.File("npy/x.npy", "-");
        _folder.File("npy/y.npy", "-");
        Assert.Equal(DataFormat.Npy, DataFormats.Detect(Path.Combine(_folder.Path, "npy")));
        _folder.File("texts/a.txt", "words");
        Assert.Equal(DataFormat.Text, DataFormats.Detect(Path.Combine(_folder.Path, "texts")));
        Assert.Equal(DataFormat.Text, DataFormats.Detect(Path.Combine(_folder.Path, "npy"), languageModel: true));
    }

    [Fact]
    public void An_unknown_extension_or_a_missing_path_is_refused_naming_it()
    {
        string odd = _folder.File("data.xlsx", "-");
        Assert.Contains("Cannot tell the format of", Assert.Throws<ArgumentException>(() => DataFormats.Detect(odd)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => DataFormats.Detect(Path.Combine(_folder.Path, "missing")));
    }

    [Fact]
    public void Format_names_parse_with_tsv_as_csv_and_refuse_unknown_ones()
    {
        Assert.Equal(DataFormat.Images, DataFormats.Parse("images"));
        Assert.Equal(DataFormat.Csv, DataFormats.Parse("TSV"));
        Assert.Equal("Unknown data format 'xls'; known formats: idx, images, csv, parquet, text, npy, safetensors. (Parameter 'text')",
            Assert.Throws<ArgumentException>(() => DataFormats.Parse("xls")).Message);
    }
}
