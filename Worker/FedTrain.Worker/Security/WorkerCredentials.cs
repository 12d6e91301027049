using FedTrain.Protos;
using FedTrain.Protos.V1;
using FedTrain.Rpc;
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
            EnrollmentMethods.Enroll, new EnrollRequest { WorkerId = workerId }, new CallOptions(headers, TimeSpan.FromSeconds(30), cancellationToken)).ConfigureAwait(false);
        if (options.CredentialFile is { } target)
        {
            WriteOwnerOnly(target, response.Credential);
        }

        LogEnrolled(logger, workerId, response.RunId);
        return response.Credential;
    }

    /// <summary>Adds <c>authorization: Bearer CREDENTIAL</c> to every call.</summary>
    public static Func<HttpRequestMessage, CancellationToken, ValueTask> AsCallCredentials(string credential)
    {
        var value = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", credential);
        return (request, _) =>
        {
            request.Headers.Authorization = value;
            return ValueTask.CompletedTask;
        };
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
