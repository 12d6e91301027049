using FedTrain.Integration.Tests.Support;

namespace FedTrain.Integration.Tests.Security;

/// <summary>A PostgreSQL password is never taken from the command line, where every local user could read it.</summary>
public sealed class DatabasePasswordTests
{
    [Theory]
    [InlineData("coordinator")]
    [InlineData("admin")]
    public async Task A_password_in_the_database_flag_is_refused_before_anything_starts(string command)
    {
        string dir = RepoPaths.NewRunDirectory("db-password");
        const string secret = "hunter2-not-on-the-command-line";
        string[] arguments = command == "admin"
            ? ["admin", "list", "--run-dir", dir, "--database", $"postgres://fed:{secret}@127.0.0.1:1/fed"]
            : ["coordinator", "--run-dir", dir, "--grpc-port", "0", "--http-port", "0", "--database", $"postgres://fed:{secret}@127.0.0.1:1/fed"];
        using var process = CliProcess.Start(arguments);

        int exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.NotEqual(0, exit);
        Assert.Contains("--database-password-file", process.Output, StringComparison.Ordinal);
        Assert.Contains("PGPASSWORD", process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, process.Output, StringComparison.Ordinal);
    }
}
