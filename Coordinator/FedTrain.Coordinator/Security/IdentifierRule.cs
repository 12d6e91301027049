namespace FedTrain.Coordinator.Security;

/// <summary>
/// What a worker or client id may look like, checked before an id reaches logs, maps and the database. The gRPC edge
/// turns a refusal into INVALID_ARGUMENT; enrolment turns it into an argument error.
/// </summary>
public static class IdentifierRule
{
    public const int MaxLength = 128;

    /// <summary>Why <paramref name="id"/> is not a valid id, naming it <paramref name="field"/>; null when it is valid.</summary>
    public static string? Problem(string? id, string field)
    {
        if (string.IsNullOrEmpty(id))
        {
            return $"{field} is required.";
        }

        return id.Length > MaxLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? $"{field} must be 1-{MaxLength} characters of letters, digits, '-', '_' or '.'."
            : null;
    }
}
