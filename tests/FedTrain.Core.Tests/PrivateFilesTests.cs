using FedTrain.Core.Checkpoints;
using FedTrain.Core.Files;

namespace FedTrain.Core.Tests;

/// <summary>Private files: created 0600 and exclusively, so a planted file or symbolic link is never written through.</summary>
public sealed class PrivateFilesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fedtrain-private-").FullName;

    [Fact]
    public void An_exclusive_file_is_0600_and_refuses_a_planted_symbolic_link()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string victim = Path.Combine(_directory, "victim");
        File.WriteAllText(victim, "untouched");
        string planted = Path.Combine(_directory, "secret.tmp");
        File.CreateSymbolicLink(planted, victim);

        Assert.Throws<IOException>(() => PrivateFiles.CreateExclusive(planted).Dispose());
        Assert.Equal("untouched", File.ReadAllText(victim));

        string fresh = Path.Combine(_directory, "fresh");
        using (var stream = PrivateFiles.CreateExclusive(fresh))
        {
            stream.WriteByte(1);
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fresh));
    }

    [Fact]
    public void An_atomic_write_replaces_a_planted_temporary_link_instead_of_writing_through_it()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string victim = Path.Combine(_directory, "victim");
        File.WriteAllText(victim, "untouched");
        string target = Path.Combine(_directory, "round-0001.safetensors");
        File.CreateSymbolicLink(target + ".tmp", victim);

        AtomicFile.Write(target, stream => stream.Write("model"u8));

        Assert.Equal("untouched", File.ReadAllText(victim));
        Assert.Equal("model", File.ReadAllText(target));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
    }

    [Fact]
    public void A_private_directory_is_0700_and_an_existing_one_of_ours_is_narrowed()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string existing = Path.Combine(_directory, "run");
        Directory.CreateDirectory(existing);
        File.SetUnixFileMode(existing, (UnixFileMode)0x1ED); // 0755

        Assert.True(PrivateFiles.CreateDirectory(existing));
        Assert.True(PrivateFiles.CreateDirectory(Path.Combine(existing, "spool")));

        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(owner, File.GetUnixFileMode(existing));
        Assert.Equal(owner, File.GetUnixFileMode(Path.Combine(existing, "spool")));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
