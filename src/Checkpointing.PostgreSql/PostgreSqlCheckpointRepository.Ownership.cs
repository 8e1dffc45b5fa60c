using Npgsql;
using NpgsqlTypes;

namespace Checkpointing.PostgreSql;

public sealed partial class PostgreSqlCheckpointRepository
{
    /// <summary>
    /// Takes a lease on the card, waiting up to <paramref name="timeout"/> while another worker holds an unexpired one. When
    /// this repository already holds the card from <see cref="ClaimNextResumableAsync"/>, that lease is used instead.
    /// </summary>
    /// <param name="cardId">The card.</param>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> fails at once, <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A <see cref="CardClaim"/> that gives the card up when disposed.</returns>
    /// <exception cref="CheckpointLockedException">Another worker (or another handle of this repository) still holds the card when the timeout ends.</exception>
    /// <remarks>
    /// Unlike the file store's OS lock, a lease outlives a process that crashed: the card is free again when the lease
    /// expires (<see cref="PostgreSqlCheckpointRepositoryOptions.LeaseDuration"/>, 30 s by default). To resume right after a
    /// crash, give the manager a <see cref="CheckpointManagerOptions.LockTimeout"/> of at least the lease duration, or let
    /// workers take cards with <see cref="ClaimNextResumableAsync"/>.
    /// </remarks>
    public async Task<IAsyncDisposable> AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var started = _timeProvider.GetTimestamp();
        var logWait = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var heldHere = false;
            lock (_leasesGate)
            {
                if (_leases.TryGetValue(cardId, out var local))
                {
                    if (local.FromClaim && !local.Adopted && !local.Released)
                    {
                        local.Adopted = true;
                        local.References++;
                        return new CardClaim(local, adopter: true);
                    }

                    heldHere = true;
                }
            }

            if (!heldHere)
            {
                var lease = await RunAsync((connection, ct) => TakeLeaseAsync(connection, cardId, ct), cancellationToken).ConfigureAwait(false);
                if (lease is not null)
                {
                    if (logWait)
                    {
                        PostgreSqlLog.LeaseWaited(_logger, cardId, _timeProvider.GetElapsedTime(started).TotalMilliseconds);
                    }

                    return Register(lease);
                }
            }

            var waited = _timeProvider.GetElapsedTime(started);
            if (timeout != Timeout.InfiniteTimeSpan && waited >= timeout)
            {
                CardState? state = null;
                if (!heldHere)
                {
                    state = await RunAsync((connection, ct) => InspectAsync(connection, cardId, ct), cancellationToken).ConfigureAwait(false);
                }

                throw Locked(cardId, state, waited, heldHere);
            }

            logWait = true;
            var delay = _options.LockPollInterval;
            if (timeout != Timeout.InfiniteTimeSpan && timeout - waited < delay)
            {
                delay = timeout - waited;
            }

            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Hands this worker the next card that can be resumed (status active, paused, resumed or failed) that nobody holds or
    /// whose lease expired on the database clock, with a new lease and a higher fencing token. Workers claiming at once get
    /// different cards (<c>FOR UPDATE SKIP LOCKED</c>). The lease is renewed in the background until the claim is disposed.
    /// </summary>
    /// <param name="workerId">The worker, recorded as the card's owner.</param>
    /// <param name="leaseDuration">How long the lease lasts without renewal.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The claim, or <see langword="null"/> when no card can be claimed now.</returns>
    /// <remarks>Create a <see cref="CheckpointManager"/> on this repository for <see cref="CardClaim.CardId"/> and resume it: it uses the claim's lease.</remarks>
    public async Task<CardClaim?> ClaimNextResumableAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        string[] held;
        lock (_leasesGate)
        {
            held = _leases.Count == 0 ? NoCards : [.. _leases.Keys];
        }

        var lease = await RunAsync(async (connection, ct) =>
        {
            using var command = new NpgsqlCommand(_sql.ClaimNext, connection);
            command.Parameters.AddWithValue("worker", workerId);
            command.Parameters.AddWithValue("lease", leaseDuration);
            command.Parameters.Add(new NpgsqlParameter("held", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = held });
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false)
                ? new CardLease(this, reader.GetString(0), workerId, reader.GetInt64(1), leaseDuration, reader.GetFieldValue<DateTimeOffset>(2), fromClaim: true)
                : null;
        }, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            return null;
        }

        PostgreSqlLog.CardClaimed(_logger, lease.CardId, workerId, lease.Token);
        return Register(lease);
    }

    private async Task<CardLease?> TakeLeaseAsync(NpgsqlConnection connection, string cardId, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(_sql.Acquire, connection);
        command.Parameters.AddWithValue("card", cardId);
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("lease", _options.LeaseDuration);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var lease = new CardLease(this, cardId, WorkerId, reader.GetInt64(0), _options.LeaseDuration, reader.GetFieldValue<DateTimeOffset>(1), fromClaim: false);
        PostgreSqlLog.LeaseAcquired(_logger, cardId, WorkerId, lease.Token, lease.ExpiresAt);
        return lease;
    }

    private CardClaim Register(CardLease lease)
    {
        var registered = false;
        lock (_leasesGate)
        {
            if (Volatile.Read(ref _disposed) == 0 && _leases.TryAdd(lease.CardId, lease))
            {
                registered = true;
            }
        }

        if (!registered)
        {
            // Disposed meanwhile, or (cannot happen while the database grants one valid lease per card) held here already.
            lease.Released = true;
            _ = ReleaseInDatabaseAsync(lease);
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            throw new CheckpointLockedException(lease.CardId, $"{_schema.Name}.checkpoints card '{lease.CardId}', held by another handle of this repository", TimeSpan.Zero);
        }

        lease.Renewal = Task.Run(() => RenewLoopAsync(lease));
        return new CardClaim(lease, adopter: false);
    }
}
