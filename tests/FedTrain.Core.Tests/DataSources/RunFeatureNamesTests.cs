using FedTrain.Core.Data.Formats;
using FedTrain.Core.Models;
using Parquet;
using Parquet.Serialization;

namespace FedTrain.Core.Tests.DataSources;

/// <summary>
/// A run that names its feature columns reads every table by those names, in the run's order: the file's column order
/// does not matter, columns the run does not name are left out, and a table lacking one is refused, naming it.
/// </summary>
public sealed class RunFeatureNamesTests : IDisposable
{
    private static readonly DataContract Run = new(ModelSpec.Parse("kind=mlp;in=2;classes=2"), ["well", "ill"]) { FeatureNames = ["age", "weight"] };

    private readonly TempFolder _folder = new("run-features");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_csv_with_its_columns_permuted_and_extra_columns_reads_the_same_examples()
    {
        string ordered = _folder.File("ordered.csv", "age,weight,outcome\n31,70.5,well\n64,88,ill\n47,61.25,well\n");
        // The same rows, columns in another order, plus a text column and a number column the run does not take.
        string permuted = _folder.File("permuted.csv", "outcome,notes,weight,height,age\nwell,fine,70.5,180,31\nill,x,88,172,64\nwell,,61.25,165,47\n");

        var expected = DataSourceLoader.Load(new DataSourceOptions { Path = ordered, LabelColumn = "outcome" }, Run);
        var actual = DataSourceLoader.Load(new DataSourceOptions { Path = permuted, LabelColumn = "outcome" }, Run);

        Assert.Equal(["age", "weight"], actual.FeatureNames);
        Assert.Equal([31f, 70.5f, 64f, 88f, 47f, 61.25f], actual.Examples.Images);
        Assert.Equal(expected.Examples.Images, actual.Examples.Images);
        Assert.Equal(expected.Examples.Labels, actual.Examples.Labels);
    }

    [Fact]
    public async Task A_parquet_file_is_read_by_name_too_in_memory_and_on_demand()
    {
        string path = Path.Combine(_folder.Path, "visits.parquet");
        var rows = Enumerable.Range(0, 300).Select(i => new Visit { Outcome = i % 2 == 0 ? "well" : "ill", Weight = 50 + (i * 0.5), Site = "a", Age = i }).ToList();
        using (var file = File.Create(path))
        {
            await ParquetSerializer.SerializeAsync(rows, file, new ParquetOptions { RowGroupSize = 50 });
        }

        var options = new DataSourceOptions { Path = path, LabelColumn = "Outcome" };
        var run = Run with { FeatureNames = ["Age", "Weight"] };
        var eager = DataSourceLoader.Load(options, run);
        var lazy = DataSourceLoader.Load(options with { CacheBytes = 50 * 2 * 4 }, run);

        Assert.Equal([0f, 50f, 1f, 50.5f], eager.Examples.Images[..4]);
        Assert.True(lazy.Examples.IsLazy);
        long[] all = [.. Enumerable.Range(0, 300).Select(i => (long)i)];
        var read = new float[300 * 2];
        lazy.Examples.Fill(all, read);
        Assert.Equal(eager.Examples.Images, read);
    }

    [Fact]
    public void A_table_without_one_of_the_runs_feature_columns_is_refused_naming_the_column_and_the_file()
    {
        string path = _folder.File("short.csv", "weight,height,outcome\n70,180,well\n88,172,ill\n");

        var error = Assert.Throws<DataValidationException>(() => DataSourceLoader.Load(new DataSourceOptions { Path = path, LabelColumn = "outcome" }, Run));

        Assert.Equal(
            $"{path} has no column 'age', which the run takes as a feature (the run's feature columns: age, weight); its columns: weight, height, outcome.",
            error.Message);
    }

    [Fact]
    public void The_owners_feature_columns_may_restate_the_runs_in_any_order_but_not_change_them()
    {
        string path = _folder.File("visits.csv", "weight,age,height,outcome\n70,31,180,well\n88,64,172,ill\n");
        var options = new DataSourceOptions { Path = path, LabelColumn = "outcome" };

        var restated = DataSourceLoader.Load(options with { FeatureColumns = ["weight", "age"] }, Run);
        var error = Assert.Throws<DataValidationException>(() => DataSourceLoader.Load(options with { FeatureColumns = ["age", "height"] }, Run));

        Assert.Equal([31f, 70f, 64f, 88f], restated.Examples.Images);
        Assert.StartsWith("--feature-columns (age, height) differs from the run's feature columns (age, weight)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Feature_names_that_do_not_fit_the_model_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => (Run with { FeatureNames = ["age", "weight", "height"] }).Validate());

        Assert.Equal("The run names 3 feature columns (age, weight, height), but its model (kind=mlp;in=2;classes=2;hidden=64,64) takes 2.", error.Message);
    }

    private sealed class Visit
    {
        public string Outcome { get; set; } = string.Empty;

        public double Weight { get; set; }

        public string Site { get; set; } = string.Empty;

        public int Age { get; set; }
    }
}
