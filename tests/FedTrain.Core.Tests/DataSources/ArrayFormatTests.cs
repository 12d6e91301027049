using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FedTrain.Core.Data.Formats;
using FedTrain.Core.Models;

namespace FedTrain.Core.Tests.DataSources;

/// <summary>
/// <c>.npy</c> pairs written by NumPy itself (Debian's python3-numpy, which the test dependencies pull in with
/// python3-torch) and safetensors files written from the format's definition.
/// </summary>
public sealed class ArrayFormatTests : IDisposable
{
    private readonly TempFolder _folder = new("arrays");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_numpy_pair_of_uint8_images_and_int64_labels_is_read_in_c_order()
    {
        Python($"""
            import numpy as np
            x = np.arange(3 * 4 * 4, dtype=np.uint8).reshape(3, 1, 4, 4)
            y = np.array([2, 0, 1], dtype=np.int64)
            np.save(r'{_folder.Path}/x.npy', x)
            np.save(r'{_folder.Path}/y.npy', y)
            """);

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = _folder.Path }, new DataContract(ModelSpec.Parse("kind=cnn;in=1,4,4;classes=3;conv=2")));

        Assert.Equal(DataFormat.Npy, DataFormats.Detect(_folder.Path));
        Assert.Equal([2L, 0, 1], loaded.Examples.Labels);
        Assert.Equal(Enumerable.Range(0, 48).Select(i => (float)i), loaded.Examples.Images);
    }

    [Fact]
    public void A_numpy_float_table_feeds_the_mlp()
    {
        Python($"""
            import numpy as np
            np.save(r'{_folder.Path}/x.npy', np.array([[0.5, -1.0], [2.0, 3.5]], dtype=np.float64))
            np.save(r'{_folder.Path}/y.npy', np.array([1, 0], dtype=np.int32))
            """);

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = _folder.Path }, new DataContract(ModelSpec.Parse("kind=mlp;in=2;classes=2")));

        Assert.Equal([0.5f, -1f, 2f, 3.5f], loaded.Examples.Images);
        Assert.Equal((1, 1, 2), (loaded.Examples.Channels, loaded.Examples.Height, loaded.Examples.Width));
    }

    [Fact]
    public void Numpy_labels_outside_the_classes_and_non_finite_inputs_are_refused_by_example()
    {
        Python($"""
            import numpy as np
            np.save(r'{_folder.Path}/x.npy', np.array([[0.5, 1.0], [np.nan, 3.5]], dtype=np.float32))
            np.save(r'{_folder.Path}/y.npy', np.array([1, 0], dtype=np.int64))
            """);
        var model = ModelSpec.Parse("kind=mlp;in=2;classes=2");

        var nonFinite = Assert.Throws<DataValidationException>(() => DataSourceLoader.Load(new DataSourceOptions { Path = _folder.Path }, new DataContract(model)));
        Assert.Equal($"{Path.Combine(_folder.Path, "x.npy")}: example 1, element 0: NaN is not a finite number.", nonFinite.Message);

        Python($"import numpy as np; np.save(r'{_folder.Path}/y.npy', np.array([1, 5], dtype=np.int64))");
        var outside = Assert.Throws<DataValidationException>(() => DataSourceLoader.Load(new DataSourceOptions { Path = _folder.Path }, new DataContract(model)));
        Assert.Equal($"{Path.Combine(_folder.Path, "y.npy")}: example 1: label 5 is not a class index in 0..1 (the run's 2 classes).", outside.Message);
    }

    [Fact]
    public void A_safetensors_file_holding_x_and_y_is_read_and_its_shape_checked()
    {
        string path = Path.Combine(_folder.Path, "data.safetensors");
        var x = new float[] { 1, 2, 3, 4, 5, 6 };
        var y = new long[] { 0, 1, 1 };
        WriteSafetensors(path, ("x", "F32", [3, 2], x.SelectMany(BitConverter.GetBytes).ToArray()), ("y", "I64", [3], y.SelectMany(BitConverter.GetBytes).ToArray()));

        var loaded = DataSourceLoader.Load(new DataSourceOptions { Path = path }, new DataContract(ModelSpec.Parse("kind=mlp;in=2;classes=2")));
        Assert.Equal(DataFormat.Safetensors, loaded.Format);
        Assert.Equal(x, loaded.Examples.Images);
        Assert.Equal(y, loaded.Examples.Labels);

        var wrong = Assert.Throws<DataValidationException>(() => DataSourceLoader.Load(new DataSourceOptions { Path = path }, new DataContract(ModelSpec.Parse("kind=mlp;in=3;classes=2"))));
        Assert.Equal($"{path} (x): x has shape 3x2 (2 values per example), but the run's model (kind=mlp;in=3;classes=2;hidden=64,64) takes 1x1x3 = 3.", wrong.Message);
    }

    [Fact]
    public void A_safetensors_file_without_y_is_refused_naming_what_it_holds()
    {
        string path = Path.Combine(_folder.Path, "weights.safetensors");
        WriteSafetensors(path, ("x", "F32", [1, 1], BitConverter.GetBytes(1f)), ("w", "F32", [1], BitConverter.GetBytes(2f)));
        var error = Assert.Throws<DataValidationException>(() => DataSourceLoader.Load(new DataSourceOptions { Path = path }, DataContract.None));
        Assert.Equal($"{path} has no tensor 'y' (it holds x, w); a data file holds x (inputs) and y (labels).", error.Message);
    }

    private static void WriteSafetensors(string path, params (string Name, string DType, long[] Shape, byte[] Data)[] tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, dtype, shape, data) in tensors)
        {
            header[name] = new { dtype, shape, data_offsets = new[] { offset, offset + data.Length } };
            offset += data.Length;
        }

        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        foreach (var tensor in tensors)
        {
            file.Write(tensor.Data);
        }
    }

    private static void Python(string script)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardInput = true };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(string.Join('\n', script.Split('\n').Select(l => l.Trim())));
        process.StandardInput.Close();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
    }
}
