using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Protos.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace FedTrain.Worker.Security;

/// <summary>
/// The worker's credential: read from its file, or obtained once by redeeming the enrollment token and then kept in
/// that file (mode 0600). Neither secret is ever logged.
/// </summary>
public static partial class WorkerCredentials
{
    /// <summary>The credential to present, or null when the worker has none configured (authentication off).</summary>
    public static async Task<string?> ObtainAsync(
        WorkerSecurityOptions options, string workerId, GrpcChannel channel, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(channel);
        if (options.CredentialFile is { } file && File.Exists(file))
        {
            return (await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false)).Trim();
        }

        if (options.EnrollmentTokenFile is null)
        {
            return null;
        }

        string enrollmentToken = (await File.ReadAllTextAsync(options.EnrollmentTokenFile, cancellationToken).ConfigureAwait(false)).Trim();
        var headers = new Metadata { { "authorization", "Bearer " + enrollmentToken } };
        var response = await channel.UnaryAsync(
            EnrollmentMethods.Enroll, new EnrollRequest { WorkerId = workerId }, new CallOptions(headers, DateTime.UtcNow.AddSeconds(30), cancellationToken)).ConfigureAwait(false);
        if (options.CredentialFile is { } target)
        {
            WriteOwnerOnly(target, response.Credential);
        }

        LogEnrolled(logger, workerId, response.RunId);
        return response.Credential;
    }

    /// <summary>Adds <c>authorization: Bearer CREDENTIAL</c> to every call.</summary>
    public static CallCredentials AsCallCredentials(string credential)
    {
        string value = "Bearer " + credential;
        return CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", value);
            return Task.CompletedTask;
        });
    }

    private static void WriteOwnerOnly(string path, string secret)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = path + ".tmp";
        File.Delete(temp);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, fileOptions))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(secret);
        }

        File.Move(temp, path, overwrite: true);
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Worker {WorkerId} enrolled for run {RunId}; credential saved")]
    private static partial void LogEnrolled(ILogger logger, string workerId, string runId);
}
