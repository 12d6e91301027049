using FedTrain.Core.Data.Formats;
using FedTrain.Core.Models;
using SkiaSharp;

namespace FedTrain.Core.Tests.DataSources;

/// <summary>Each way data can fail the run's contract, refused with a message naming the file, row, column or class.</summary>
public sealed class DataContractRefusalTests : IDisposable
{
    private readonly TempFolder _folder = new("contract");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_missing_feature_column_is_named_with_the_columns_the_file_has()
    {
        string path = _folder.File("t.csv", "a,b,y\n1,2,0\n3,4,1\n");
        var error = Refused(new DataSourceOptions { Path = path, LabelColumn = "y", FeatureColumns = ["a", "c"] }, DataContract.None);
        Assert.Equal($"{path} has no feature column 'c'; its columns: a, b, y.", error);
    }

    [Fact]
    public void A_missing_label_column_flag_lists_the_columns()
    {
        string path = _folder.File("t.csv", "a,y\n1,0\n2,1\n");
        var error = Refused(new DataSourceOptions { Path = path }, DataContract.None);
        Assert.Contains("name its label column with --label-column (its columns: a, y)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_numeric_feature_names_the_line_and_column()
    {
        string path = _folder.File("t.csv", "age,city,y\n31,5,0\n40,Lyon,1\n");
        var error = Refused(new DataSourceOptions { Path = path, LabelColumn = "y" }, DataContract.None);
        Assert.StartsWith($"{path}: line 3, column 'city': 'Lyon' is not a number", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("inf")]
    [InlineData("1e300")]
    public void A_non_finite_value_names_the_line_and_column(string value)
    {
        string path = _folder.File("t.csv", $"a,y\n1,0\n{value},1\n");
        var error = Refused(new DataSourceOptions { Path = path, LabelColumn = "y" }, DataContract.None);
        Assert.StartsWith($"{path}: line 3, column 'a': ", error, StringComparison.Ordinal);
        Assert.EndsWith("is not a finite number.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_label_outside_the_class_list_names_the_line_and_the_classes()
    {
        string path = _folder.File("t.csv", "a,y\n1,cat\n2,dog\n3,bird\n");
        var error = Refused(new DataSourceOptions { Path = path, LabelColumn = "y" }, new DataContract(null, ["cat", "dog"]));
        Assert.Equal($"{path}: line 4: label 'bird' in column 'y' is not one of the run's classes (cat, dog).", error);
    }

    [Fact]
    public void A_class_without_rows_is_refused_by_name()
    {
        string path = _folder.File("t.csv", "a,y\n1,cat\n2,cat\n");
        var error = Refused(new DataSourceOptions { Path = path, LabelColumn = "y" }, new DataContract(null, ["cat", "dog"]));
        Assert.StartsWith($"{path}: class 'dog' has no rows (column 'y')", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_with_another_feature_count_than_the_model_is_refused()
    {
        string path = _folder.File("t.csv", "a,b,y\n1,2,0\n3,4,1\n");
        var error = Refused(new DataSourceOptions { Path = path, LabelColumn = "y" }, new DataContract(ModelSpec.Parse("kind=mlp;in=3;classes=2")));
        Assert.Equal($"{path} gives 2 features (a, b), but the run's model (kind=mlp;in=3;classes=2;hidden=64,64) takes 3; choose them with --feature-columns.", error);
    }

    [Fact]
    public void Image_folders_past_the_skipped_share_are_refused_naming_the_files()
    {
        string root = _folder.Path;
        TestImages.WriteGrey(Path.Combine(root, "a", "1.png"), 4, 4, (_, _) => 1);
        TestImages.WriteGrey(Path.Combine(root, "b", "1.png"), 4, 4, (_, _) => 1);
        TestImages.WriteColour(Path.Combine(root, "b", "2.png"), 4, 4, new SKColor(0, 200, 0));
        var contract = new DataContract(ModelSpec.Parse("kind=cnn;in=1,4,4;classes=2;conv=2"));

        var error = Refused(new DataSourceOptions { Path = root, MaxSkippedFraction = 0.2 }, contract);

        Assert.Equal(
            $"{root}: 1 of 3 image files cannot be used, more than the 20% allowed (--max-skipped): {Path.Combine(root, "b", "2.png")}: a colour image (3 channels); the run's model takes 1 channel (grey).",
            error);
    }

    [Fact]
    public void An_image_class_whose_files_are_all_unreadable_is_refused_as_empty()
    {
        for (int i = 0; i < 20; i++)
        {
            TestImages.WriteGrey(Path.Combine(_folder.Path, "good", $"{i}.png"), 4, 4, (_, _) => 9);
        }

        _folder.File("empty/1.png", "broken");
        var error = Refused(new DataSourceOptions { Path = _folder.Path, MaxSkippedFraction = 0.5 }, new DataContract(ModelSpec.Parse("kind=cnn;in=1,4,4;classes=2;conv=2")));
        Assert.Equal($"{Path.Combine(_folder.Path, "empty")}: class 'empty' has no readable images; every class of the run needs examples.", error);
    }

    [Fact]
    public void An_image_folder_that_is_not_a_run_class_is_refused()
    {
        TestImages.WriteGrey(Path.Combine(_folder.Path, "shirt", "1.png"), 4, 4, (_, _) => 9);
        TestImages.WriteGrey(Path.Combine(_folder.Path, "boat", "1.png"), 4, 4, (_, _) => 9);
        var error = Refused(new DataSourceOptions { Path = _folder.Path }, new DataContract(ModelSpec.Parse("kind=cnn;in=1,4,4;classes=2;conv=2"), ["shirt", "shoe"]));
        Assert.Equal($"{Path.Combine(_folder.Path, "boat")}: folder 'boat' is not one of the run's classes (shirt, shoe).", error);
    }

    [Fact]
    public void A_class_list_that_does_not_fit_the_model_is_refused_before_reading()
    {
        var error = Assert.Throws<ArgumentException>(() => DataSourceLoader.Load(
            new DataSourceOptions { Path = _folder.Path }, new DataContract(ModelSpec.Parse("kind=mlp;in=3;classes=3"), ["a", "b"])));
        Assert.Equal("--classes names 2 classes, but the model (kind=mlp;in=3;classes=3;hidden=64,64) has 3.", error.Message);
    }

    [Fact]
    public void Text_data_for_an_image_model_is_refused()
    {
        _folder.File("notes.txt", "just some words");
        var error = Refused(new DataSourceOptions { Path = _folder.Path }, new DataContract(ModelSpec.FashionMnistCnn));
        Assert.StartsWith($"{_folder.Path} is read as text, which only the language model (lm) takes; the run's model is cnn.", error, StringComparison.Ordinal);
    }

    private static string Refused(DataSourceOptions options, DataContract contract) =>
        Assert.Throws<DataValidationException>(() => DataSourceLoader.Load(options, contract)).Message;
}
