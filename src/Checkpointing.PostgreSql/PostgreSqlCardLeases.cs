using Checkpointing.Ownership;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Checkpointing.PostgreSql;

/// <summary>
/// Leases on cards, measured on the database clock: taken by <see cref="AcquireAsync"/> (waiting while another worker
/// holds one) or <see cref="ClaimNextAsync"/>, renewed in the background (<see cref="LeaseRenewal"/>), released when the
/// last handle is disposed. Each lease carries a fencing token that every write under it presents. A claimed card's lease
/// may be adopted once by a manager of the same repository. The leases held live in <see cref="HeldLeases"/>.
/// </summary>
internal sealed class PostgreSqlCardLeases(
    PostgreSqlDatabase database, PostgreSqlFence fence, PostgreSqlCheckpointRepositoryOptions options, string workerId, ILogger logger)
{
    private readonly HeldLeases _held = new();

    /// <summary>Gets or sets a value indicating whether background renewal skips its turns, freezing every lease (a test hook).</summary>
    public bool RenewalSuspended { get; set; }

    /// <summary>Gets the lease held on a card, if any.</summary>
    public HeldLease? Find(string cardId) => _held.Find(cardId);

    /// <summary>Takes a lease on the card (or adopts this repository's claim of it), waiting up to <paramref name="timeout"/>.</summary>
    public async Task<CardClaim> AcquireAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var heldHere = false;
        var (claim, waited) = await OwnershipWait.PollAsync(
            async ct =>
            {
                heldHere = false;
                if (_held.Find(cardId) is { } local)
                {
                    if (local.TryAdopt())
                    {
                        return new CardClaim(this, local, adopter: true);
                    }

                    heldHere = true;
                    return null;
                }

                var lease = await database.RunAsync((connection, c) => TakeLeaseAsync(connection, cardId, c), ct).ConfigureAwait(false);
                return lease is null ? null : Register(lease);
            },
            async (waitedSoFar, ct) =>
            {
                var state = heldHere ? null : await database.RunAsync((connection, c) => fence.InspectAsync(connection, cardId, c), ct).ConfigureAwait(false);
                return fence.Locked(cardId, state, waitedSoFar, heldHere);
            },
            timeout,
            options.LockPollInterval,
            options.TimeProvider,
            cancellationToken).ConfigureAwait(false);
        if (waited > TimeSpan.Zero)
        {
            PostgreSqlLog.LeaseWaited(logger, cardId, waited.TotalMilliseconds);
        }

        return claim;
    }

    /// <summary>Claims the next resumable card nobody holds (or whose lease expired), or returns <see langword="null"/>.</summary>
    public async Task<CardClaim?> ClaimNextAsync(string claimant, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        var held = _held.CardIds();
        var lease = await database.RunAsync(async (connection, ct) =>
        {
            using var command = new NpgsqlCommand(database.Sql.ClaimNext, connection);
            command.Parameters.AddWithValue("worker", claimant);
            command.Parameters.AddWithValue("lease", leaseDuration);
            command.Parameters.Add(new NpgsqlParameter("held", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = held });
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false)
                ? new HeldLease(reader.GetString(0), claimant, reader.GetInt64(1), leaseDuration, reader.GetFieldValue<DateTimeOffset>(2), adoptable: true, active: true)
                : null;
        }, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            return null;
        }

        PostgreSqlLog.CardClaimed(logger, lease.CardId, claimant, lease.Token);
        return Register(lease);
    }

    /// <summary>Drops one handle's share of a lease; the last one stops renewal and releases the lease in the database.</summary>
    public async Task ReleaseHandleAsync(HeldLease lease, bool adopter)
    {
        if (lease.DropHandle(adopter))
        {
            _held.Remove(lease); // at once: a write after the last handle is a write without ownership
            await ReleaseInDatabaseAsync(lease).ConfigureAwait(false);
        }
    }

    /// <summary>Releases every lease held; no card is taken after.</summary>
    public async Task CloseAsync()
    {
        foreach (var lease in _held.Close())
        {
            await ReleaseInDatabaseAsync(lease).ConfigureAwait(false);
        }
    }

    private async Task<HeldLease?> TakeLeaseAsync(NpgsqlConnection connection, string cardId, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(database.Sql.Acquire, connection);
        command.Parameters.AddWithValue("card", cardId);
        command.Parameters.AddWithValue("worker", workerId);
        command.Parameters.AddWithValue("lease", options.LeaseDuration);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var lease = new HeldLease(cardId, workerId, reader.GetInt64(0), options.LeaseDuration, reader.GetFieldValue<DateTimeOffset>(1), adoptable: false, active: true);
        PostgreSqlLog.LeaseAcquired(logger, cardId, workerId, lease.Token, lease.ExpiresAt);
        return lease;
    }

    private CardClaim Register(HeldLease lease)
    {
        if (!_held.TryAdd(lease))
        {
            // Closed meanwhile, or (cannot happen while the database grants one valid lease per card) held here already.
            lease.TryRelease();
            _ = ReleaseInDatabaseAsync(lease);
            ObjectDisposedException.ThrowIf(_held.IsClosed, typeof(PostgreSqlCheckpointRepository));
            throw new CheckpointLockedException(lease.CardId, $"{database.Schema.Name}.checkpoints card '{lease.CardId}', held by another handle of this repository", TimeSpan.Zero);
        }

        lease.StartRenewal(new LeaseRenewal(lease, RenewOnceAsync, LeaseLost, options.TimeProvider));
        return new CardClaim(this, lease, adopter: false);
    }

    private void LeaseLost(HeldLease lease) => PostgreSqlLog.LeaseLost(logger, lease.CardId, lease.Token);

    /// <summary>One renewal: <see langword="false"/> when the lease is no longer this worker's; an error is logged and retried at the next tick.</summary>
    private async Task<bool> RenewOnceAsync(HeldLease lease, CancellationToken cancellationToken)
    {
        if (RenewalSuspended)
        {
            return true;
        }

        try
        {
            var expiresAt = await database.RunAsync(async (connection, ct) =>
            {
                using var command = new NpgsqlCommand(database.Sql.Renew, connection);
                command.Parameters.AddWithValue("card", lease.CardId);
                command.Parameters.AddWithValue("token", lease.Token);
                command.Parameters.AddWithValue("worker", lease.OwnerId);
                command.Parameters.AddWithValue("lease", lease.Duration);
                return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) as DateTime?;
            }, cancellationToken).ConfigureAwait(false);
            if (expiresAt is null)
            {
                return false;
            }

            lease.ExpiresAt = new DateTimeOffset(DateTime.SpecifyKind(expiresAt.Value, DateTimeKind.Utc));
        }
        catch (CheckpointException ex)
        {
            PostgreSqlLog.LeaseRenewalFailed(logger, lease.CardId, lease.Token, ex);
        }

        return true;
    }

    /// <summary>Stops renewing a released lease and releases it in the database. Never throws: a failed release is logged and the lease expires.</summary>
    private async Task ReleaseInDatabaseAsync(HeldLease lease)
    {
        if (lease.Renewal is { } renewal)
        {
            await renewal.StopAsync().ConfigureAwait(false);
        }

        try
        {
            await database.RunAsync(async (connection, ct) =>
            {
                using var command = new NpgsqlCommand(database.Sql.Release, connection);
                command.Parameters.AddWithValue("card", lease.CardId);
                command.Parameters.AddWithValue("token", lease.Token);
                command.Parameters.AddWithValue("worker", lease.OwnerId);
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }, CancellationToken.None).ConfigureAwait(false);
            PostgreSqlLog.LeaseReleased(logger, lease.CardId, lease.Token);
        }
        catch (CheckpointException ex)
        {
            PostgreSqlLog.LeaseReleaseFailed(logger, lease.CardId, lease.Token, ex);
        }
        finally
        {
            _held.Remove(lease);
        }
    }
}
