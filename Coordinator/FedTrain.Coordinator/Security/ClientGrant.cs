using System.Globalization;
using System.Text.Json;

namespace FedTrain.Coordinator.Security;

/// <summary>
/// The clients an enrolled worker may speak for, fixed by the operator at enrolment and kept with the enrollment
/// token and the credential it is redeemed for: an explicit list of client ids, or up to <see cref="Count"/> ids that
/// begin with <see cref="Prefix"/>. A worker enrolled without either may register one client, itself.
/// </summary>
/// <param name="ClientIds">Client ids granted by name (empty for a prefix grant).</param>
/// <param name="Prefix">Null for an explicit list; otherwise every granted id begins with it.</param>
/// <param name="Count">How many clients the worker may register at once.</param>
public sealed record ClientGrant(IReadOnlyList<string> ClientIds, string? Prefix, int Count)
{
    /// <summary>The grant of a worker enrolled without <c>--client</c> or <c>--clients</c>: its own id.</summary>
    public static ClientGrant Own(string workerId) => new([workerId], null, 1);

    /// <summary>Exactly these clients (duplicates removed).</summary>
    /// <exception cref="ArgumentException">No id, or an id that is not a valid client id.</exception>
    public static ClientGrant Explicit(IEnumerable<string> clientIds)
    {
        ArgumentNullException.ThrowIfNull(clientIds);
        var ids = clientIds.Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            throw new ArgumentException("A client grant needs at least one client id.", nameof(clientIds));
        }

        foreach (string id in ids)
        {
            RequireId(id, "client id");
        }

        return new ClientGrant(ids, null, ids.Count);
    }

    /// <summary>Up to <paramref name="count"/> clients whose ids begin with <paramref name="prefix"/>.</summary>
    public static ClientGrant WithPrefix(string prefix, int count)
    {
        RequireId(prefix, "client prefix");
        if (count < 1)
        {
            throw new ArgumentException($"A client grant's count must be at least 1, got {count}.", nameof(count));
        }

        return new ClientGrant([], prefix, count);
    }

    /// <summary>Whether the grant names <paramref name="clientId"/> (by id or by prefix).</summary>
    public bool Permits(string clientId) =>
        ClientIds.Contains(clientId, StringComparer.Ordinal)
        || (Prefix is not null && clientId.StartsWith(Prefix, StringComparison.Ordinal));

    /// <summary>Why registering <paramref name="clientIds"/> breaks the grant, or null when it does not.</summary>
    public string? Refusal(IReadOnlyList<string> clientIds)
    {
        ArgumentNullException.ThrowIfNull(clientIds);
        if (clientIds.Count > Count)
        {
            return string.Create(CultureInfo.InvariantCulture, $"this worker is enrolled for {Count} client(s); the registration names {clientIds.Count}.");
        }

        string? foreign = clientIds.FirstOrDefault(id => !Permits(id));
        return foreign is null ? null : $"client {foreign} is not one of the clients this worker is enrolled for ({Describe()}).";
    }

    /// <summary>For logs and <c>admin list</c>: the ids, or the prefix and count.</summary>
    public string Describe() => Prefix is null
        ? (ClientIds.Count <= 3 ? string.Join(", ", ClientIds) : $"{ClientIds[0]}, {ClientIds[1]} and {ClientIds.Count - 2} more")
        : string.Create(CultureInfo.InvariantCulture, $"{Count} with prefix {Prefix}");

    /// <summary>The stored form: a small JSON document.</summary>
    public string ToStored() => JsonSerializer.Serialize(new Stored { Ids = [.. ClientIds], Prefix = Prefix, Count = Count });

    /// <summary>Reads the stored form; null (a row written before grants existed) means the worker's own id.</summary>
    public static ClientGrant FromStored(string? stored, string workerId)
    {
        if (stored is null)
        {
            return Own(workerId);
        }

        var value = JsonSerializer.Deserialize<Stored>(stored) ?? throw new InvalidOperationException("An empty client grant is stored.");
        return new ClientGrant(value.Ids ?? [], value.Prefix, value.Count);
    }

    private static void RequireId(string id, string what)
    {
        if (IdentifierRule.Problem(id, what) is { } problem)
        {
            throw new ArgumentException($"Invalid {what} '{id}': {problem}");
        }
    }

    private sealed class Stored
    {
        public List<string>? Ids { get; set; }

        public string? Prefix { get; set; }

        public int Count { get; set; }
    }
}
