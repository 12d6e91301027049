using System.Diagnostics;
using System.Security.Cryptography;
using FedTrain.Coordinator;
using FedTrain.Coordinator.Hosting;
using FedTrain.Core.Checkpoints;
using FedTrain.Core.Models;
using FedTrain.Integration.Tests.Support;
using FedTrain.Trainer;
using Microsoft.Extensions.Logging.Abstractions;

namespace FedTrain.Integration.Tests;

/// <summary>
/// The worker's trust boundary: a TorchScript module is code, so a worker runs the coordinator's module only when its
/// owner pinned the module's hash. The module here reads a file of the machine it runs on into a buffer, which the
/// update then carries to the coordinator: exactly what an unpinned worker must never run.
/// </summary>
public sealed class ModuleTrustTests
{
    private const int SecretBytes = 24;

    [Fact]
    public async Task A_module_that_reads_files_is_refused_unless_its_owner_pinned_its_hash()
    {
        string dir = RepoPaths.NewRunDirectory("module-trust");
        byte[] secret = "owner secret 0123456789abcdef"u8.ToArray()[..SecretBytes];
        string secretPath = Path.Combine(dir, "owner-secret.txt");
        await File.WriteAllBytesAsync(secretPath, secret);
        string module = Path.Combine(dir, "file_reader.pt");
        await MakeModuleAsync(module, secretPath);
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(module)));
        string trustFile = Path.Combine(dir, "trusted-modules.txt");
        await File.WriteAllTextAsync(trustFile, $"# modules this owner reviewed\n\n{sha256.ToUpperInvariant()}  # the file reader\n");

        var options = new CoordinatorOptions
        {
            BindAddress = "127.0.0.1",
            GrpcPort = 0,
            HttpPort = 0,
            RunDirectory = dir,
            Rounds = 1,
            MinWorkers = 3,
            MinFitClients = 3,
            QuorumFraction = 0.5,
            TestLimit = 200,
            Threads = 1,
            RoundTimeout = TimeSpan.FromMinutes(3),
            FinishGracePeriod = TimeSpan.FromSeconds(2),
            Model = ModelSpec.TorchScript(module, 1, 28, 28, 10),
            Training = TrainingConfig.Default with { LocalEpochs = 0, LocalSteps = 5 },
        };
        options.Database = TestDatabase.For(dir);
        options.Security.Auth.Enabled = false;
        await using var host = await CoordinatorHost.StartAsync(options, NullLoggerFactory.Instance, CancellationToken.None);

        // "unpinned" trusts nothing; "pinned" names the hash on its command line; "listed" in a file of trusted hashes.
        var flags = new Dictionary<string, string[]>
        {
            ["unpinned"] = [],
            ["pinned"] = ["--trust-module", sha256],
            ["listed"] = ["--trusted-modules-file", trustFile],
        };
        var workers = flags.Select((w, i) => CliProcess.Start(
        [
            "worker", "--coordinator", $"http://127.0.0.1:{host.GrpcPort}", "--worker-id", w.Key, "--shard", $"{i}/3",
            "--train-limit", "900", "--threads", "1", "--state-dir", Path.Combine(dir, "state", w.Key),
            "--log", Path.Combine(dir, w.Key + ".log"), .. w.Value,
        ])).ToList();
        try
        {
            await host.Completion.WaitAsync(TimeSpan.FromMinutes(5));
        }
        finally
        {
            workers.ForEach(w => w.Dispose());
        }

        var round = Assert.Single(host.Orchestrator.CommittedRounds);
        Assert.Equal(["listed", "pinned"], round.Participants.Select(p => p.ClientId).Order(StringComparer.Ordinal));
        Assert.Equal(
            $"unpinned: worker reported: refused: TorchScript module {sha256} is not trusted by this worker (--trust-module)",
            Assert.Single(round.Failures));
        // Federated evaluation asked the unpinned worker too; it refused again and is left out of the scores.
        Assert.DoesNotContain(round.ClientEvaluations, e => e.ClientId == "unpinned");

        // The refusal names the hash and the flags, and came before the module was fetched: nothing to load was ever on disk.
        string refused = await ReadSharedAsync(Path.Combine(dir, "unpinned.log"));
        Assert.Contains($"Refused TorchScript module sha256 {sha256}", refused, StringComparison.Ordinal);
        Assert.Contains($"--trust-module {sha256}", refused, StringComparison.Ordinal);
        Assert.Contains("--trusted-modules-file", refused, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "state", "unpinned", "modules")), "the unpinned worker fetched the module");
        foreach (string trusted in new[] { "pinned", "listed" })
        {
            Assert.True(File.Exists(Path.Combine(dir, "state", trusted, "modules", sha256 + ".pt")), trusted);
        }

        // Why it matters: the pinned workers ran the module, and their updates carried the file's bytes into the model.
        string spec = $"kind=torchscript;module={Path.Combine(dir, "modules", sha256 + ".pt")};in=1,28,28;classes=10";
        using var trainer = NativeTrainer.Create(spec, new TrainerOptions("cpu", 1, 1));
        var weights = SafetensorsFile.Read(Path.Combine(dir, "checkpoints", "round-0001.safetensors"), trainer.Manifest);
        var loot = trainer.Manifest.Tensors.Single(t => t.Name == "loot");
        var leaked = weights.AsSpan((int)loot.Offset, (int)loot.Length).ToArray();
        Assert.Equal(secret.Select(b => (double)b), leaked.Select(v => Math.Round((double)v)));
    }

    [Theory]
    [InlineData("--trust-module", "not-a-hash", "--trust-module must be a SHA-256")]
    [InlineData("--trusted-modules-file", "bad-line", "line 2: 'xyz' is not a SHA-256")]
    public async Task A_malformed_trusted_hash_stops_the_worker_with_the_flag_named(string flag, string value, string message)
    {
        string dir = RepoPaths.NewRunDirectory("bad-trust");
        if (value == "bad-line")
        {
            value = Path.Combine(dir, "trusted.txt");
            await File.WriteAllTextAsync(value, $"{new string('a', 64)}\nxyz # typo\n");
        }

        using var worker = CliProcess.Start("worker", "--coordinator", "http://127.0.0.1:9", "--worker-id", "w", flag, value);
        Assert.Equal(2, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(message, worker.Output, StringComparison.Ordinal);
    }

    private static async Task MakeModuleAsync(string output, string secretPath)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "FedTrain.Integration.Tests", "python", "file_reading_module.py"));
        start.ArgumentList.Add(output);
        start.ArgumentList.Add(secretPath);
        start.ArgumentList.Add(SecretBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("/usr/bin/python3 did not start.");
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"file_reading_module.py exited {process.ExitCode}: {error}");
    }

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
