using FedTrain.Core.Data.Formats;
using FedTrain.Core.Models;
using Parquet;
using Parquet.Serialization;

namespace FedTrain.Core.Tests.DataSources;

/// <summary>CSV, TSV and Parquet tables written here, read through the data loader with real parsing.</summary>
public sealed class TableFormatTests : IDisposable
{
    private readonly TempFolder _folder = new("tables");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Csv_with_quoted_header_names_and_string_labels_maps_labels_by_the_runs_class_list()
    {
        string path = _folder.File("flowers.csv", "\"sepal length\",\"sepal width\",\"species\"\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n4.9,3.0,setosa\n");
        var contract = new DataContract(ModelSpec.Parse("kind=mlp;in=2;classes=3"), ["virginica", "setosa", "versicolor"]);

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = path, LabelColumn = "species" }, contract);

        Assert.Equal(DataFormat.Csv, loaded.Format);
        Assert.Equal(["sepal length", "sepal width"], loaded.FeatureNames);
        Assert.Equal([1L, 2, 0, 1], loaded.Examples.Labels);
        Assert.Equal([5.1f, 3.5f, 7.0f, 3.2f, 6.3f, 3.3f, 4.9f, 3.0f], loaded.Examples.Images);
        Assert.Equal((1, 1, 2, 3), (loaded.Examples.Channels, loaded.Examples.Height, loaded.Examples.Width, loaded.Examples.Classes));
        Assert.Equal("setosa", loaded.FirstRows[0].Label);
        Assert.Equal([5.1f, 3.5f], loaded.FirstRows[0].Features);
    }

    [Theory]
    [InlineData(";", "semicolon.csv")]
    [InlineData("\t", "tabs.tsv")]
    [InlineData(",", "comma.csv")]
    public void The_separator_is_detected_from_the_header(string separator, string name)
    {
        string path = _folder.File(name, string.Join(separator, "a", "b", "label") + "\n" + string.Join(separator, "1.5", "-2", "7") + "\n" + string.Join(separator, "0", "1e3", "9") + "\n");

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = path, LabelColumn = "label" }, DataContract.None);

        Assert.Equal([1.5f, -2f, 0f, 1000f], loaded.Examples.Images);
        Assert.Equal(["7", "9"], loaded.ClassNames);
        Assert.Equal([0L, 1], loaded.Examples.Labels);
    }

    [Fact]
    public void Integer_labels_that_do_not_start_at_zero_become_indices_in_numeric_order()
    {
        string path = _folder.File("modes.csv", "x,mode\n1,4\n2,10\n3,2\n4,10\n");

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = path, LabelColumn = "mode" }, DataContract.None);

        // Numeric order (2 < 4 < 10), not text order ("10" < "2").
        Assert.Equal(["2", "4", "10"], loaded.ClassNames);
        Assert.Equal([1L, 2, 0, 2], loaded.Examples.Labels);
    }

    [Fact]
    public void Feature_columns_choose_and_order_the_inputs()
    {
        string path = _folder.File("wide.csv", "id,name,b,a,y\n1,ann,2,3,0\n2,bob,5,7,1\n");

        var loaded = DataSourceLoader.Load(
            new DataSourceOptions { Path = path, LabelColumn = "y", FeatureColumns = ["a", "b"] }, DataContract.None);

        Assert.Equal(["a", "b"], loaded.FeatureNames);
        Assert.Equal([3f, 2f, 7f, 5f], loaded.Examples.Images);
    }

    [Fact]
    public void The_train_and_test_splits_partition_the_rows()
    {
        string rows = string.Concat(Enumerable.Range(0, 200).Select(i => $"{i},{i % 2}\n"));
        string path = _folder.File("split.csv", "x,y\n" + rows);
        var options = new DataSourceOptions { Path = path, LabelColumn = "y", SplitSeed = 7 };

        var train = DataSourceLoader.Load(options with { Split = DataSplit.Train }, DataContract.None).Examples.Images;
        var test = DataSourceLoader.Load(options with { Split = DataSplit.Test }, DataContract.None).Examples.Images;

        Assert.Equal(200, train.Length + test.Length);
        Assert.Empty(train.Intersect(test));
        Assert.InRange(test.Length, 25, 55);
    }

    [Fact]
    public async Task Parquet_columns_of_several_types_are_read_row_group_by_row_group()
    {
        string path = Path.Combine(_folder.Path, "patients.parquet");
        var rows = Enumerable.Range(0, 50).Select(i => new Patient { Age = 20 + i, Dose = i * 0.5, Smoker = i % 3 == 0, Outcome = i % 2 == 0 ? "well" : "ill" }).ToList();
        using (var file = File.Create(path))
        {
            await ParquetSerializer.SerializeAsync(rows, file, new ParquetOptions { RowGroupSize = 16 });
        }

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = path, LabelColumn = "Outcome" }, new DataContract(null, ["well", "ill"]));

        Assert.Equal(DataFormat.Parquet, loaded.Format);
        Assert.Equal(["Age", "Dose", "Smoker"], loaded.FeatureNames);
        Assert.Equal(50, loaded.Examples.Count);
        Assert.Equal([69f, 24.5f, 0f], loaded.Examples.Images[(49 * 3)..]);
        Assert.Equal([0L, 1, 0], loaded.Examples.Labels[..3]);
    }

    [Fact]
    public async Task A_missing_parquet_value_is_refused_by_row_and_column()
    {
        string path = Path.Combine(_folder.Path, "gaps.parquet");
        var rows = new[] { new Sparse { Dose = 1.5, Outcome = "well" }, new Sparse { Dose = null, Outcome = "ill" } };
        using (var file = File.Create(path))
        {
            await ParquetSerializer.SerializeAsync(rows, file);
        }

        var error = Assert.Throws<DataValidationException>(() => DataSourceLoader.Load(new DataSourceOptions { Path = path, LabelColumn = "Outcome" }, DataContract.None));
        Assert.Equal($"{path}: row 2, column 'Dose': the value is missing (null).", error.Message);
    }

    [Fact]
    public async Task A_parquet_file_larger_than_the_cache_is_read_a_row_group_at_a_time_with_the_same_rows()
    {
        string path = Path.Combine(_folder.Path, "many.parquet");
        var rows = Enumerable.Range(0, 1000).Select(i => new Patient { Age = i, Dose = i * 0.25, Smoker = i % 7 == 0, Outcome = i % 3 == 0 ? "ill" : "well" }).ToList();
        using (var file = File.Create(path))
        {
            await ParquetSerializer.SerializeAsync(rows, file, new ParquetOptions { RowGroupSize = 100 });
        }

        var options = new DataSourceOptions { Path = path, LabelColumn = "Outcome", Split = DataSplit.Train };
        var eager = DataSourceLoader.Load(options, DataContract.None);
        // Two row groups of 100 rows x 3 features fit: a fifth of the file.
        var lazy = DataSourceLoader.Load(options with { CacheBytes = 2 * 100 * 3 * 4 }, DataContract.None);

        Assert.True(lazy.Examples.IsLazy);
        Assert.Equal(eager.Examples.Labels, lazy.Examples.Labels);
        Assert.Equal(eager.FirstRows.Select(r => r.Features), lazy.FirstRows.Select(r => r.Features));
        long[] order = [.. Enumerable.Range(0, lazy.Examples.Count).Select(i => (long)i).Reverse()];
        var expected = new float[order.Length * 3];
        var actual = new float[order.Length * 3];
        eager.Examples.Fill(order, expected);
        lazy.Examples.Fill(order, actual);
        Assert.Equal(expected, actual);

        // Standardised on demand exactly as in memory.
        var statistics = FeatureStandardization.Fit(lazy.Examples);
        Assert.Equal(FeatureStandardization.Fit(eager.Examples).Mean, statistics.Mean);
        var standardized = statistics.Standardize(lazy.Examples);
        statistics.Apply(eager.Examples);
        standardized.Fill(order, actual);
        eager.Examples.Fill(order, expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Standardisation_fits_on_the_rows_given_and_maps_them_to_zero_mean_unit_variance()
    {
        string path = _folder.File("scale.csv", "a,b,y\n1,100,0\n3,100,1\n5,100,0\n");
        var data = DataSourceLoader.Load(new DataSourceOptions { Path = path, LabelColumn = "y" }, DataContract.None).Examples;

        var statistics = FeatureStandardization.Fit(data);
        statistics.Apply(data);

        Assert.Equal([3f, 100f], statistics.Mean);
        Assert.Equal(1f, statistics.StdDev[1]);
        Assert.Equal(-1.2247f, data.Images[0], 3);
        Assert.Equal(0f, data.Images[1]);
    }

    [Fact]
    public void A_table_test_set_is_standardised_for_a_TorchScript_module_as_for_the_mlp()
    {
        string path = _folder.File("test.csv", "a,b,y\n1,10,0\n3,30,1\n5,20,0\n");
        var source = new DataSourceOptions { Path = path, LabelColumn = "y" };

        var (data, preprocessing) = Data.ModelData.Load(ModelSpec.TorchScript("module.pt", 1, 1, 2, 2), source, DataContract.None);

        // Workers standardise the rows they hold whatever the model; so does the coordinator's test set, and the
        // export carries the statistics.
        Assert.Equal([3f, 20f], preprocessing.FeatureMean);
        Assert.Equal(["a", "b"], preprocessing.FeatureNames);
        Assert.Null(preprocessing.ImageShape);
        Assert.Equal(-1.2247f, data.Images[0], 3);
    }

    private sealed class Sparse
    {
        public double? Dose { get; set; }

        public string Outcome { get; set; } = string.Empty;
    }

    private sealed class Patient
    {
        public int Age { get; set; }

        public double Dose { get; set; }

        public bool Smoker { get; set; }

        public string Outcome { get; set; } = string.Empty;
    }
}
