using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Checkpointing.Sqlite;

public sealed partial class SqliteCheckpointRepository
{
    /// <inheritdoc/>
    /// <remarks>
    /// Ownership is a lease row in <c>card_owners</c> that this repository renews every third of
    /// <see cref="SqliteCheckpointRepositoryOptions.LeaseDuration"/> until the handle is disposed. The row records the
    /// owner process (host, pid, start time). A lease whose owner process is gone from this machine (on Linux: no process
    /// has its pid, or the pid now belongs to a process started at another time) is taken over at once; any other lease
    /// (an owner on another host, or whose liveness cannot be read) once it expires. <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits without limit.
    /// </remarks>
    public async Task<IAsyncDisposable> AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        }

        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var waited = time.GetElapsedTime(started);
            var (lease, blocker) = await TryClaimAsync(cardId, cancellationToken).ConfigureAwait(false);
            if (lease is not null)
            {
                if (waited > TimeSpan.Zero)
                {
                    SqliteLog.LockWaited(_logger, cardId, waited.TotalMilliseconds);
                }

                return new Ownership(this, lease);
            }

            var infinite = timeout == Timeout.InfiniteTimeSpan;
            if (!infinite && waited >= timeout)
            {
                throw Locked(cardId, blocker, waited);
            }

            var remaining = infinite ? _options.LockPollInterval : timeout - waited;
            var delay = remaining < _options.LockPollInterval ? remaining : _options.LockPollInterval;
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private string LockName(string cardId) => $"{DatabasePath}#card_owners[card_id='{cardId}']";

    private long NowMilliseconds => _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private long LeaseMilliseconds => (long)_options.LeaseDuration.TotalMilliseconds;

    /// <summary>
    /// Claims the card if no lease of another owner (or of this repository) holds it: a lease holds while it has not
    /// expired and its owner process is not known to be gone from this machine.
    /// </summary>
    /// <returns>The new lease; or, when the card is held, <see langword="null"/> and the owner that holds it
    /// (<see langword="null"/> too when it is held by this repository).</returns>
    private async Task<(Lease? Lease, Holder? Blocker)> TryClaimAsync(string cardId, CancellationToken cancellationToken)
    {
        var lease = new Lease(cardId, $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}");
        if (!_leases.TryAdd(cardId, lease))
        {
            return (null, null); // this repository already owns the card (ownership is exclusive within a repository too)
        }

        try
        {
            var self = await OwnerProcess.CurrentAsync(cancellationToken).ConfigureAwait(false);
            var blocker = await ExecuteAsync(async connection =>
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                var now = NowMilliseconds;
                var holder = await ReadOwnerAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
                if (holder is { } current && current.ExpiresAt > now && await current.LivenessAsync(cancellationToken).ConfigureAwait(false) != OwnerProcess.Liveness.Dead)
                {
                    return holder;
                }

                using var claim = Command(
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
                if (holder is { } previous && previous.ExpiresAt > now)
                {
                    SqliteLog.DeadOwnerTakenOver(_logger, cardId, previous.OwnerId, previous.ExpiresAt - now);
                }
                else if (holder is { } expired)
                {
                    SqliteLog.LeaseTakenOver(_logger, cardId, expired.OwnerId, now - expired.ExpiresAt);
                }

                return (Holder?)null;
            }, cancellationToken).ConfigureAwait(false);
            if (blocker is not null)
            {
                _leases.TryRemove(new KeyValuePair<string, Lease>(cardId, lease));
                return (null, blocker);
            }
        }
        catch
        {
            _leases.TryRemove(new KeyValuePair<string, Lease>(cardId, lease));
            throw;
        }

        lease.Activate();
        var interval = _options.LeaseDuration / 3;
        lease.Start(_options.TimeProvider.CreateTimer(static state => ((RenewalState)state!).Fire(), new RenewalState(this, lease), interval, interval));
        return (lease, null);
    }

    /// <summary>
    /// Refuses a write when another owner holds a live lease on the card, or when this repository owned the card but its
    /// lease was taken over; renews this repository's own lease if it ran out unnoticed.
    /// </summary>
    private async Task EnsureWriterAsync(SqliteConnection connection, SqliteTransaction transaction, string cardId, CancellationToken cancellationToken)
    {
        var holder = await ReadOwnerAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
        var now = NowMilliseconds;
        if (_leases.TryGetValue(cardId, out var lease) && lease.IsHeld)
        {
            if (!lease.IsActive || holder is not { } mine || !string.Equals(mine.OwnerId, lease.OwnerId, StringComparison.Ordinal))
            {
                lease.MarkLost();
                var current = holder?.OwnerId ?? "nobody";
                SqliteLog.LeaseLost(_logger, cardId, current);
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

        if (holder is { } other && other.ExpiresAt > now && await other.LivenessAsync(cancellationToken).ConfigureAwait(false) != OwnerProcess.Liveness.Dead)
        {
            throw Locked(cardId, other, TimeSpan.Zero);
        }
    }

    private async Task<bool> RenewAsync(SqliteConnection connection, SqliteTransaction? transaction, Lease lease, CancellationToken cancellationToken)
    {
        using var renew = Command(
            connection,
            transaction,
            "UPDATE card_owners SET expires_at = $expires WHERE card_id = $card AND owner_id = $owner",
            ("$card", lease.CardId),
            ("$owner", lease.OwnerId),
            ("$expires", NowMilliseconds + LeaseMilliseconds));
        return await renew.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>Renews a lease from its timer; a lease found taken over is marked lost, a failure is retried at the next tick.</summary>
    private async Task RenewInBackgroundAsync(Lease lease)
    {
        if (!lease.IsActive || !await lease.Renewing.WaitAsync(0).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            if (!lease.IsActive || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            var connection = await OpenRawConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (!await RenewAsync(connection, null, lease, CancellationToken.None).ConfigureAwait(false))
                {
                    lease.MarkLost();
                    using var transaction = connection.BeginTransaction(deferred: true);
                    var holder = await ReadOwnerAsync(connection, transaction, lease.CardId, CancellationToken.None).ConfigureAwait(false);
                    SqliteLog.LeaseLost(_logger, lease.CardId, holder?.OwnerId ?? "nobody");
                }
            }
        }
        catch (Exception ex) when (ex is SqliteException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            SqliteLog.LeaseRenewalFailed(_logger, lease.CardId, ex);
        }
        finally
        {
            lease.Renewing.Release();
        }
    }

    /// <summary>Stops renewing a lease and deletes its row, if it is still this owner's.</summary>
    private async Task ReleaseAsync(Lease lease)
    {
        if (!lease.TryStop())
        {
            return;
        }

        await lease.Renewing.WaitAsync().ConfigureAwait(false);
        try
        {
            var connection = await OpenRawConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var delete = Command(
                    connection, null, "DELETE FROM card_owners WHERE card_id = $card AND owner_id = $owner", ("$card", lease.CardId), ("$owner", lease.OwnerId));
                await delete.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SqliteException or IOException or InvalidOperationException)
        {
            SqliteLog.ReleaseFailed(_logger, lease.CardId, ex);
        }
        finally
        {
            lease.Renewing.Release();
            _leases.TryRemove(new KeyValuePair<string, Lease>(lease.CardId, lease));
        }
    }

    /// <summary>One held ownership: its owner id (unique per acquisition), its renewal timer and its state.</summary>
    private sealed class Lease(string cardId, string ownerId)
    {
        private const int Claiming = 0;
        private const int Active = 1;
        private const int Lost = 2;
        private const int Stopped = 3;
        private int _state;
        private ITimer? _timer;

        public string CardId { get; } = cardId;

        public string OwnerId { get; } = ownerId;

        /// <summary>Gets the gate that keeps one renewal at a time, and release after it.</summary>
        public SemaphoreSlim Renewing { get; } = new(1, 1);

        /// <summary>Gets a value indicating whether the lease row is this owner's, as far as this process knows.</summary>
        public bool IsActive => Volatile.Read(ref _state) == Active;

        /// <summary>Gets a value indicating whether the owner still holds the handle: its writes are fenced by the lease (active or lost).</summary>
        public bool IsHeld => Volatile.Read(ref _state) is Active or Lost;

        public void Activate() => Interlocked.CompareExchange(ref _state, Active, Claiming);

        public void Start(ITimer timer)
        {
            _timer = timer;
            if (Volatile.Read(ref _state) == Stopped)
            {
                timer.Dispose();
            }
        }

        public void MarkLost() => Interlocked.CompareExchange(ref _state, Lost, Active);

        /// <summary>Stops the lease for good; only the first call returns <see langword="true"/>.</summary>
        public bool TryStop()
        {
            var previous = Interlocked.Exchange(ref _state, Stopped);
            _timer?.Dispose();
            return previous != Stopped;
        }
    }

    /// <summary>What a lease's timer carries, so the callback needs no closure.</summary>
    private sealed class RenewalState(SqliteCheckpointRepository repository, Lease lease)
    {
        public void Fire() => _ = repository.RenewInBackgroundAsync(lease);
    }

    /// <summary>The handle <see cref="AcquireOwnershipAsync"/> returns: disposing it releases the lease.</summary>
    [DebuggerDisplay("Ownership of {lease.CardId} by {lease.OwnerId}")]
    private sealed class Ownership(SqliteCheckpointRepository repository, Lease lease) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(repository.ReleaseAsync(lease));
    }
}
