using FedTrain.Core.Models;

namespace FedTrain.Coordinator.Tests;

/// <summary>The run's feature names (<c>--feature-columns</c>) must fit its model, or the coordinator does not start.</summary>
public sealed class FeatureNamesOptionsTests
{
    [Fact]
    public void Feature_names_that_fit_the_tabular_model_are_accepted()
    {
        var options = new CoordinatorOptions { Model = ModelSpec.Parse("kind=mlp;in=3;classes=2"), FeatureNames = ["age", "bmi", "systolic"] };

        options.Validate();
    }

    [Fact]
    public void Feature_names_for_a_model_that_takes_images_are_refused()
    {
        var options = new CoordinatorOptions { FeatureNames = ["age", "bmi"] };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("Option FeatureNames (--feature-columns) names a table's columns, but the model (cnn) does not read tables. (Parameter 'FeatureNames')", error.Message);
    }

    [Fact]
    public void More_feature_names_than_the_model_takes_are_refused()
    {
        var options = new CoordinatorOptions { Model = ModelSpec.Parse("kind=mlp;in=2;classes=2"), FeatureNames = ["age", "bmi", "systolic"] };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.StartsWith("The run names 3 feature columns (age, bmi, systolic), but its model (kind=mlp;in=2;classes=2", error.Message, StringComparison.Ordinal);
    }
}
