using System.Data.Common;
using System.Globalization;

namespace FedTrain.Coordinator.Storage;

/// <summary>
/// The run's lease (schema migration 8, table <c>coordinator_lease</c>): the fencing token that keeps a stale
/// coordinator from writing the run's state, the same SQL on both databases.
/// </summary>
/// <remarks>
/// Each coordinator that starts (or resumes) the run takes the lease, which raises its epoch. Every write of the
/// run's state then runs in a transaction whose first statement touches the lease row only if the epoch is still the
/// one this store took. PostgreSQL locks that row until the transaction ends, so a takeover either waits for the write
/// to commit or makes it fail; SQLite serialises all writers anyway. A coordinator that lost the lease (a duplicate
/// activation during a partition, a paused process that wakes up) therefore cannot commit a round, record a privacy
/// release (whose noise is drawn only after it is recorded) or change the journal: it gets
/// <see cref="RunFencedException"/> instead.
/// </remarks>
public abstract partial class RelationalCoordinatorStore
{
    private const string LeaseKey = "run";

    /// <summary>The epoch this store took with <see cref="TakeLeaseAsync"/>; null until then, and writes are not fenced.</summary>
    public long? LeaseEpoch { get; private set; }

    public async Task<long> TakeLeaseAsync(string holder, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(holder);
        long epoch = await UseAsync(async connection =>
        {
            using var command = Command(connection, null, """
                INSERT INTO coordinator_lease (lease_key, epoch, holder, acquired_at) VALUES (@key, 1, @holder, @at)
                ON CONFLICT (lease_key) DO UPDATE SET epoch = coordinator_lease.epoch + 1, holder = excluded.holder,
                    acquired_at = excluded.acquired_at
                RETURNING epoch;
                """);
            DbParameters.Add(command, "@key", LeaseKey);
            DbParameters.Add(command, "@holder", holder);
            DbParameters.Add(command, "@at", StoredValues.Time(DateTimeOffset.UtcNow));
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }, cancellationToken).ConfigureAwait(false);
        LeaseEpoch = epoch;
        return epoch;
    }

    public Task CheckLeaseAsync(CancellationToken cancellationToken = default) => FencedAsync((_, _) => Task.FromResult(0), cancellationToken);

    /// <summary>
    /// Runs a write of the run's state in one transaction that first proves this store still holds the lease.
    /// </summary>
    /// <remarks>
    /// The token can stop the write before its commit (the transaction is then rolled back), never during it: a
    /// commit cut off half way would leave the caller unsure whether the write happened.
    /// </remarks>
    /// <exception cref="RunFencedException">Another coordinator took the lease; nothing was written.</exception>
    protected Task<T> FencedAsync<T>(Func<DbConnection, DbTransaction, Task<T>> write, CancellationToken cancellationToken) => UseAsync(async connection =>
    {
        using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (LeaseEpoch is { } held)
        {
            using var touch = Command(connection, transaction, "UPDATE coordinator_lease SET epoch = epoch WHERE lease_key = @key AND epoch = @held;");
            DbParameters.Add(touch, "@key", LeaseKey);
            DbParameters.Add(touch, "@held", held);
            if (await touch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                using var current = Command(connection, transaction, "SELECT epoch, holder FROM coordinator_lease WHERE lease_key = @key;");
                DbParameters.Add(current, "@key", LeaseKey);
                using var reader = await current.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                bool found = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                throw new RunFencedException(held, found ? StoredValues.Long(reader, 0) : 0, found ? reader.GetString(1) : "nobody");
            }
        }

        T result = await write(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return result;
    }, cancellationToken);
}
