using Npgsql;

namespace Checkpointing.PostgreSql;

public sealed partial class PostgreSqlCheckpointRepository
{
    /// <summary>Stops renewing every lease this repository holds and releases them.</summary>
    /// <returns>A task that completes when the leases are released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        List<CardLease> leases;
        lock (_leasesGate)
        {
            leases = [.. _leases.Values];
            foreach (var lease in leases)
            {
                lease.Released = true;
                lease.References = 0;
            }

            _leases.Clear();
        }

        foreach (var lease in leases)
        {
            await ReleaseInDatabaseAsync(lease).ConfigureAwait(false);
        }
    }

    /// <summary>Gets the lease this repository holds on a card, if any (tests read its token and freeze its renewal).</summary>
    internal CardLease? FindLease(string cardId)
    {
        lock (_leasesGate)
        {
            return _leases.GetValueOrDefault(cardId);
        }
    }

    /// <summary>Drops one handle's reference to a lease; the last one stops renewal and releases the lease in the database.</summary>
    internal async Task ReleaseHandleAsync(CardLease lease, bool adopter)
    {
        lock (_leasesGate)
        {
            if (adopter)
            {
                lease.Adopted = false;
            }

            if (lease.Released || --lease.References > 0)
            {
                return;
            }

            lease.Released = true;
            if (_leases.TryGetValue(lease.CardId, out var current) && ReferenceEquals(current, lease))
            {
                _leases.Remove(lease.CardId);
            }
        }

        await ReleaseInDatabaseAsync(lease).ConfigureAwait(false);
    }

    private async Task RenewLoopAsync(CardLease lease)
    {
        var period = lease.Duration / 3;
        using var timer = new PeriodicTimer(period > TimeSpan.FromMilliseconds(1) ? period : TimeSpan.FromMilliseconds(1), _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(lease.Stop.Token).ConfigureAwait(false))
            {
                if (LeaseRenewalSuspended || lease.RenewalSuspended)
                {
                    continue;
                }

                try
                {
                    var expiresAt = await RunAsync(async (connection, ct) =>
                    {
                        using var command = new NpgsqlCommand(_sql.Renew, connection);
                        command.Parameters.AddWithValue("card", lease.CardId);
                        command.Parameters.AddWithValue("token", lease.Token);
                        command.Parameters.AddWithValue("worker", lease.WorkerId);
                        command.Parameters.AddWithValue("lease", lease.Duration);
                        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) as DateTime?;
                    }, lease.Stop.Token).ConfigureAwait(false);
                    if (expiresAt is null)
                    {
                        if (lease.MarkLost())
                        {
                            PostgreSqlLog.LeaseLost(_logger, lease.CardId, lease.Token);
                        }

                        return;
                    }

                    lease.ExpiresAt = new DateTimeOffset(DateTime.SpecifyKind(expiresAt.Value, DateTimeKind.Utc));
                }
                catch (CheckpointException ex)
                {
                    PostgreSqlLog.LeaseRenewalFailed(_logger, lease.CardId, lease.Token, ex);
                }
            }
        }
        catch (OperationCanceledException) when (lease.Stop.IsCancellationRequested)
        {
        }
    }

    private async Task ReleaseInDatabaseAsync(CardLease lease)
    {
        await lease.Stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await lease.Renewal.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        try
        {
            await RunAsync(async (connection, ct) =>
            {
                using var command = new NpgsqlCommand(_sql.Release, connection);
                command.Parameters.AddWithValue("card", lease.CardId);
                command.Parameters.AddWithValue("token", lease.Token);
                command.Parameters.AddWithValue("worker", lease.WorkerId);
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }, CancellationToken.None).ConfigureAwait(false);
            PostgreSqlLog.LeaseReleased(_logger, lease.CardId, lease.Token);
        }
        catch (CheckpointException ex)
        {
            PostgreSqlLog.LeaseReleaseFailed(_logger, lease.CardId, lease.Token, ex);
        }
        finally
        {
            lease.Stop.Dispose();
        }
    }
}
