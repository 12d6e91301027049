using System.Globalization;
using FedTrain.Integration.Tests.Support;
using Parquet.Serialization;

namespace FedTrain.Integration.Tests;

/// <summary>
/// Federations (a coordinator and worker processes over loopback gRPC, training in libtorch) on each data format a
/// data owner brings, and a worker that refuses data failing the run's contract before it registers.
/// </summary>
public sealed class DataFormatFederationTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Csv_demo_on_debians_mode_choice_table_learns_the_travel_mode()
    {
        // Not ours: Greene's mode-choice data as Debian's python3-statsmodels ships it, ';'-separated, modes 1..4.
        string dir = RepoPaths.NewRunDirectory("csv");
        using var demo = CliProcess.Start(
            "demo", "--data", DataFiles.ModeChoiceCsv, "--label-column", "mode", "--feature-columns", "ttme,invc,invt,gc,hinc,psize",
            "--workers", "2", "--rounds", "3", "--partition", "iid", "--seed", "5", "--out", dir);
        int exit = await demo.WaitForExitAsync(RunTimeout);
        Assert.True(exit == 0, demo.Output);

        var summary = RunSummary.Load(dir);
        Assert.Equal("mlp", summary.GetProperty("model").GetString());
        Assert.Equal(3, RunSummary.Rounds(summary).Length);
        // Four balanced modes: chance is 0.25. The times and costs of each mode tell them apart.
        double final = summary.GetProperty("final").GetProperty("test_accuracy").GetDouble();
        Assert.True(final > 0.7, $"final accuracy {final}\n{demo.Output}");
        string worker = await File.ReadAllTextAsync(Path.Combine(dir, "logs", "worker-1.log"));
        Assert.Contains($"Data {DataFiles.ModeChoiceCsv}: csv,", worker, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Image_folder_federation_scores_as_the_idx_federation_on_the_same_fashion_mnist_images()
    {
        string data = RepoPaths.NewRunDirectory("png-data");
        foreach (bool train in new[] { true, false })
        {
            var (images, labels) = DataFiles.FashionMnist(train, train ? 2400 : 500);
            // Class-major order in both, the order an image folder is read in, so both federations see the same sequence.
            int[] order = Enumerable.Range(0, labels.Length).OrderBy(i => labels[i]).ThenBy(i => i).ToArray();
            var sortedImages = order.Select(i => images[i]).ToArray();
            var sortedLabels = order.Select(i => labels[i]).ToArray();
            DataFiles.WritePngFolder(Path.Combine(data, train ? "png-train" : "png-test"), sortedImages, sortedLabels);
            DataFiles.WriteIdx(Path.Combine(data, train ? "idx-train" : "idx-test"), train, sortedImages, sortedLabels);
        }

        double folder = await FinalAccuracy("png", Path.Combine(data, "png-train"), Path.Combine(data, "png-test"));
        double idx = await FinalAccuracy("idx", Path.Combine(data, "idx-train"), Path.Combine(data, "idx-test"));

        Assert.True(idx > 0.5, $"the IDX federation learns (accuracy {idx})");
        Assert.True(Math.Abs(folder - idx) <= 0.01, $"image folder {folder} vs IDX {idx}");
    }

    [Fact]
    public async Task Parquet_demo_trains_the_mlp_on_string_labels()
    {
        string dir = RepoPaths.NewRunDirectory("parquet");
        var (x, y) = DataFiles.Blobs(600, 4, 3, seed: 2);
        string[] names = ["low", "mid", "high"];
        var rows = Enumerable.Range(0, y.Length).Select(i => new Row { A = x[4 * i], B = x[(4 * i) + 1], C = x[(4 * i) + 2], D = x[(4 * i) + 3], Level = names[y[i]] }).ToList();
        string path = Path.Combine(dir, "levels.parquet");
        using (var file = File.Create(path))
        {
            await ParquetSerializer.SerializeAsync(rows, file);
        }

        double final = await DemoAccuracy(dir, "--data", path, "--label-column", "Level", "--classes", "low,mid,high");
        Assert.True(final > 0.9, $"final accuracy {final}");
    }

    [Fact]
    public async Task Parquet_larger_than_the_workers_cache_trains_read_on_demand()
    {
        string dir = RepoPaths.NewRunDirectory("parquet-lazy");
        // 80,000 rows of 4 features: 1.2 MiB decoded, more than the 1 MiB cache.
        var (x, y) = DataFiles.Blobs(80_000, 4, 3, seed: 6);
        var rows = Enumerable.Range(0, y.Length).Select(i => new Row { A = x[4 * i], B = x[(4 * i) + 1], C = x[(4 * i) + 2], D = x[(4 * i) + 3], Level = $"L{y[i]}" }).ToList();
        string path = Path.Combine(dir, "large.parquet");
        using (var file = File.Create(path))
        {
            // Small row groups: a random batch decodes the group of every row it misses in the cache.
            await ParquetSerializer.SerializeAsync(rows, file, new Parquet.ParquetOptions { RowGroupSize = 500 });
        }

        double final = await DemoAccuracy(dir, "--data", path, "--label-column", "Level", "--cache-mb", "1", "--local-steps", "60", "--rounds", "2");
        Assert.True(final > 0.9, $"final accuracy {final}");
        string worker = await File.ReadAllTextAsync(Path.Combine(dir, "run", "logs", "worker-1.log"));
        Assert.Contains("read on demand (--cache-mb)", worker, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npy_demo_trains_on_numpy_arrays()
    {
        string dir = RepoPaths.NewRunDirectory("npy");
        string data = Directory.CreateDirectory(Path.Combine(dir, "arrays")).FullName;
        DataFiles.Python($"""
            import numpy as np
            rng = np.random.default_rng(4)
            y = np.arange(600) % 3
            x = rng.normal(size=(600, 5)).astype(np.float32)
            x[np.arange(600), y] += 3.0
            np.save(r'{data}/x.npy', x)
            np.save(r'{data}/y.npy', y.astype(np.int64))
            """);

        double final = await DemoAccuracy(dir, "--data", data);
        Assert.True(final > 0.85, $"final accuracy {final}");
    }

    [Fact]
    public async Task Safetensors_demo_trains_on_x_and_y()
    {
        string dir = RepoPaths.NewRunDirectory("safetensors");
        var (x, y) = DataFiles.Blobs(600, 4, 2, seed: 9);
        string path = Path.Combine(dir, "data.safetensors");
        DataFiles.WriteSafetensors(path, x, 4, y);

        double final = await DemoAccuracy(dir, "--data", path);
        Assert.True(final > 0.9, $"final accuracy {final}");
    }

    [Fact]
    public async Task A_worker_refuses_data_that_fails_the_contract_before_it_registers()
    {
        string dir = RepoPaths.NewRunDirectory("refuse");
        string path = Path.Combine(dir, "visits.csv");
        await File.WriteAllTextAsync(path, "age,weight,outcome\n31,70,well\n45,heavy,ill\n");
        // Nothing listens on the coordinator's address: a worker that tried to register would retry, not exit.
        using var worker = CliProcess.Start(
            "worker", "--coordinator", "http://127.0.0.1:9", "--worker-id", "w1", "--data", path, "--label-column", "outcome",
            "--model", "kind=mlp;in=2;classes=2", "--classes", "well,ill", "--state-dir", Path.Combine(dir, "state"));

        Assert.Equal(2, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"data refused: {path}: line 3, column 'weight': 'heavy' is not a number", worker.Output, StringComparison.Ordinal);
    }

    private static async Task<double> FinalAccuracy(string name, string train, string test)
    {
        string dir = RepoPaths.NewRunDirectory(name);
        return await DemoAccuracy(dir, "--data", train, "--test-data", test, "--conv", "8,16", "--hidden", "32", "--rounds", "2", "--local-epochs", "1", "--batch-size", "32");
    }

    private static async Task<double> DemoAccuracy(string dir, params string[] arguments)
    {
        string[] common = ["demo", "--workers", "2", "--partition", "iid", "--seed", "3", "--out", Path.Combine(dir, "run")];
        if (!arguments.Contains("--rounds"))
        {
            common = [.. common, "--rounds", "3"];
        }

        using var demo = CliProcess.Start([.. common, .. arguments]);
        int exit = await demo.WaitForExitAsync(RunTimeout);
        Assert.True(exit == 0, demo.Output);
        var summary = RunSummary.Load(Path.Combine(dir, "run"));
        return summary.GetProperty("final").GetProperty("test_accuracy").GetDouble();
    }

    private sealed class Row
    {
        public float A { get; set; }

        public float B { get; set; }

        public float C { get; set; }

        public float D { get; set; }

        public string Level { get; set; } = string.Empty;
    }
}
