using Checkpointing.Ownership;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Checkpointing.Sqlite;

/// <summary>
/// Ownership of cards in <c>card_owners</c>: one lease row per card, measured on this machine's clock, renewed in the
/// background (<see cref="LeaseRenewal"/>), deleted on release. A lease whose owner process is gone from this machine is
/// taken over at once; any other once it expires. The leases this repository holds live in <see cref="HeldLeases"/>.
/// </summary>
internal sealed class SqliteCardOwners(SqliteDatabase database, SqliteCheckpointRepositoryOptions options, ILogger logger)
{
    private readonly HeldLeases _held = new();

    private long NowMilliseconds => options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private long LeaseMilliseconds => (long)options.LeaseDuration.TotalMilliseconds;

    /// <summary>Waits for the card (polling every <see cref="SqliteCheckpointRepositoryOptions.LockPollInterval"/>) and takes it.</summary>
    public async Task<CheckpointOwnership> AcquireAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        SqliteOwnerRow? blocker = null;
        var (lease, waited) = await OwnershipWait.PollAsync(
            async ct =>
            {
                (var claimed, blocker) = await TryClaimAsync(cardId, ct).ConfigureAwait(false);
                return claimed;
            },
            (waitedSoFar, _) => Task.FromResult<Exception>(Locked(cardId, blocker, waitedSoFar)),
            timeout,
            options.LockPollInterval,
            options.TimeProvider,
            cancellationToken).ConfigureAwait(false);
        if (waited > TimeSpan.Zero)
        {
            SqliteLog.LockWaited(logger, cardId, waited.TotalMilliseconds);
        }

        return new SqliteOwnership(this, lease);
    }

    /// <summary>
    /// Refuses a write when another owner holds a live lease on the card, or when this repository owned the card but its
    /// lease was taken over; renews this repository's own lease if it ran out unnoticed.
    /// </summary>
    public async Task EnsureWriterAsync(SqliteConnection connection, SqliteTransaction transaction, string cardId, CancellationToken cancellationToken)
    {
        var holder = await SqliteOwnerRow.ReadAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
        var now = NowMilliseconds;
        if (_held.Find(cardId) is { IsHeld: true } lease)
        {
            if (!lease.IsActive || holder is not { } mine || !string.Equals(mine.OwnerId, lease.OwnerId, StringComparison.Ordinal))
            {
                lease.MarkLost();
                var current = holder?.OwnerId ?? "nobody";
                SqliteLog.LeaseLost(logger, cardId, current);
                throw new CheckpointLockedException(
                    cardId,
                    LockName(cardId),
                    TimeSpan.Zero,
                    new InvalidOperationException(
                        $"This repository owned card '{cardId}', but its lease ran out (or another process on this machine found this process gone) and the card is now held by {current}: the write was refused so the new owner's work is not overwritten."));
            }

            if (mine.ExpiresAt <= now)
            {
                await RenewAsync(connection, transaction, lease, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (holder is { } other && await other.HoldsAsync(now, cancellationToken).ConfigureAwait(false))
        {
            throw Locked(cardId, other, TimeSpan.Zero);
        }
    }

    /// <summary>Gets whether this repository holds the card's lease (as far as it knows: a lease taken over is found out at the next write).</summary>
    public bool Holds(string cardId) => _held.Find(cardId) is { IsHeld: true };

    /// <summary>Drops the handle's lease: stops renewing it and deletes its row, if it is still this owner's.</summary>
    public async Task ReleaseHandleAsync(HeldLease lease)
    {
        if (lease.DropHandle(adopter: false))
        {
            await ReleaseInDatabaseAsync(lease).ConfigureAwait(false);
        }
    }

    /// <summary>Releases every lease this repository holds; no card is taken after.</summary>
    public async Task CloseAsync()
    {
        foreach (var lease in _held.Close())
        {
            await ReleaseInDatabaseAsync(lease).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Claims the card if no lease of another owner (or of this repository) holds it: a lease holds while it has not
    /// expired and its owner process is not known to be gone from this machine.
    /// </summary>
    /// <returns>The new lease; or, when the card is held, <see langword="null"/> and the owner that holds it
    /// (<see langword="null"/> too when it is held by this repository).</returns>
    private async Task<(HeldLease? Lease, SqliteOwnerRow? Blocker)> TryClaimAsync(string cardId, CancellationToken cancellationToken)
    {
        var lease = new HeldLease(cardId, OwnerIds.New(), token: 0, options.LeaseDuration, options.TimeProvider.GetUtcNow(), adoptable: false, active: false);
        if (!_held.TryAdd(lease))
        {
            return (null, null); // this repository already owns the card (ownership is exclusive within a repository too)
        }

        try
        {
            var self = await OwnerProcess.CurrentAsync(cancellationToken).ConfigureAwait(false);
            var blocker = await database.ExecuteAsync(
                connection => ClaimRowAsync(connection, lease, self, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (blocker is not null)
            {
                _held.Remove(lease);
                return (null, blocker);
            }
        }
        catch
        {
            _held.Remove(lease);
            throw;
        }

        lease.Activate();
        if (!lease.IsActive)
        {
            // The repository was disposed while the row was written: give it up again.
            await ReleaseInDatabaseAsync(lease).ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(SqliteCheckpointRepository));
        }

        lease.StartRenewal(new LeaseRenewal(lease, RenewInBackgroundAsync, static _ => { }, options.TimeProvider));
        return (lease, null);
    }

    /// <summary>Writes the lease row unless another live owner holds the card.</summary>
    /// <returns>The owner that holds the card, or <see langword="null"/> when the row is now this lease's.</returns>
    private async Task<SqliteOwnerRow?> ClaimRowAsync(SqliteConnection connection, HeldLease lease, OwnerProcess self, CancellationToken cancellationToken)
    {
        var cardId = lease.CardId;
        using var transaction = connection.BeginTransaction(deferred: false);
        var now = NowMilliseconds;
        var holder = await SqliteOwnerRow.ReadAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
        if (holder is { } current && await current.HoldsAsync(now, cancellationToken).ConfigureAwait(false))
        {
            return holder;
        }

        using var claim = SqliteDatabase.Command(
            connection,
            transaction,
            """
            INSERT INTO card_owners (card_id, owner_id, acquired_at, expires_at, owner_host, owner_pid, owner_start, owner_scope)
            VALUES ($card, $owner, $now, $expires, $host, $pid, $start, $scope)
            ON CONFLICT (card_id) DO UPDATE SET owner_id = excluded.owner_id, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at,
                owner_host = excluded.owner_host, owner_pid = excluded.owner_pid, owner_start = excluded.owner_start, owner_scope = excluded.owner_scope
            """,
            ("$card", cardId),
            ("$owner", lease.OwnerId),
            ("$now", now),
            ("$expires", now + LeaseMilliseconds),
            ("$host", self.Host),
            ("$pid", self.Pid),
            ("$start", self.StartTime),
            ("$scope", self.Scope));
        await claim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        transaction.Commit();
        lease.ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(now + LeaseMilliseconds);
        if (holder is { } previous && previous.ExpiresAt > now)
        {
            SqliteLog.DeadOwnerTakenOver(logger, cardId, previous.OwnerId, previous.ExpiresAt - now);
        }
        else if (holder is { } expired)
        {
            SqliteLog.LeaseTakenOver(logger, cardId, expired.OwnerId, now - expired.ExpiresAt);
        }

        return null;
    }

    private async Task<bool> RenewAsync(SqliteConnection connection, SqliteTransaction? transaction, HeldLease lease, CancellationToken cancellationToken)
    {
        var expires = NowMilliseconds + LeaseMilliseconds;
        using var renew = SqliteDatabase.Command(
            connection,
            transaction,
            "UPDATE card_owners SET expires_at = $expires WHERE card_id = $card AND owner_id = $owner",
            ("$card", lease.CardId),
            ("$owner", lease.OwnerId),
            ("$expires", expires));
        var renewed = await renew.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        if (renewed)
        {
            lease.ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expires);
        }

        return renewed;
    }

    /// <summary>Renews a lease from its timer: <see langword="false"/> when it was taken over; a failure is logged and retried at the next tick.</summary>
    private async Task<bool> RenewInBackgroundAsync(HeldLease lease, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await database.OpenRawConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (await RenewAsync(connection, null, lease, cancellationToken).ConfigureAwait(false))
                {
                    return true;
                }

                using var transaction = connection.BeginTransaction(deferred: true);
                var holder = await SqliteOwnerRow.ReadAsync(connection, transaction, lease.CardId, cancellationToken).ConfigureAwait(false);
                SqliteLog.LeaseLost(logger, lease.CardId, holder?.OwnerId ?? "nobody");
                return false;
            }
        }
        catch (Exception ex) when (ex is SqliteException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            SqliteLog.LeaseRenewalFailed(logger, lease.CardId, ex);
            return true;
        }
    }

    /// <summary>Stops renewing a released lease and deletes its row, if it is still this owner's. Never throws.</summary>
    private async Task ReleaseInDatabaseAsync(HeldLease lease)
    {
        if (lease.Renewal is { } renewal)
        {
            await renewal.StopAsync().ConfigureAwait(false);
        }

        try
        {
            var connection = await database.OpenRawConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var delete = SqliteDatabase.Command(
                    connection, null, "DELETE FROM card_owners WHERE card_id = $card AND owner_id = $owner", ("$card", lease.CardId), ("$owner", lease.OwnerId));
                await delete.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SqliteException or IOException or InvalidOperationException)
        {
            SqliteLog.ReleaseFailed(logger, lease.CardId, ex);
        }
        finally
        {
            _held.Remove(lease);
        }
    }

    private string LockName(string cardId) => $"{database.Path}#card_owners[card_id='{cardId}']";

    /// <summary>The error for a card held by <paramref name="blocker"/> (or, when <see langword="null"/>, by this repository).</summary>
    private CheckpointLockedException Locked(string cardId, SqliteOwnerRow? blocker, TimeSpan waited) => blocker is { } holder
        ? new CheckpointLockedException(cardId, LockName(cardId), waited, holder.Describe(), DateTimeOffset.FromUnixTimeMilliseconds(holder.ExpiresAt))
        : new CheckpointLockedException(
            cardId, LockName(cardId), waited, "another ownership handle of this same repository (this process): dispose it, or its manager, first", null);
}
