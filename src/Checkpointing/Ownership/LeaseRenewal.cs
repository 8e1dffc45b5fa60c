namespace Checkpointing.Ownership;

/// <summary>
/// Renews one <see cref="HeldLease"/> every third of its duration on a <see cref="TimeProvider"/> timer until stopped, so
/// tests drive it with a fake clock. One renewal runs at a time, and <see cref="StopAsync"/> waits for the one in flight:
/// a release never races a renewal.
/// </summary>
/// <param name="lease">The lease.</param>
/// <param name="renewOnce">
/// One renewal in the store: <see langword="true"/> renewed, <see langword="false"/> the store says the lease is no longer
/// this owner's (it is then marked lost and renewal ends). A store error is the store's to log; it returns
/// <see langword="true"/> to try again at the next tick.
/// </param>
/// <param name="lost">Called once when renewal finds the lease lost.</param>
/// <param name="time">The clock of the timer.</param>
internal sealed class LeaseRenewal(HeldLease lease, Func<HeldLease, CancellationToken, Task<bool>> renewOnce, Action<HeldLease> lost, TimeProvider time)
    : IAsyncDisposable
{
    private static readonly TimeSpan ShortestPeriod = TimeSpan.FromMilliseconds(1);
    private readonly CancellationTokenSource _stop = new(); // never disposed: a canceled source holds no timer or handle
    private Task _loop = Task.CompletedTask;

    /// <summary>Gets the period between renewals: a third of the lease.</summary>
    public TimeSpan Period => lease.Duration / 3 > ShortestPeriod ? lease.Duration / 3 : ShortestPeriod;

    /// <summary>Starts the renewal loop; its timer exists when this returns, so a fake clock advanced after it fires it.</summary>
    public void Start()
    {
        var timer = new PeriodicTimer(Period, time);
        _loop = RunAsync(timer);
    }

    /// <summary>Stops renewing, waiting for a renewal in flight to end. Never throws.</summary>
    /// <returns>A task that completes when no renewal runs any more.</returns>
    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>Stops renewing, waiting for a renewal in flight to end. Never throws.</summary>
    /// <returns>A task that completes when no renewal runs any more.</returns>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        // The loop ends on cancellation; a store error that escaped renewOnce ended it earlier and was the store's to log.
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync(PeriodicTimer timer)
    {
        using var owned = timer;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (lease.RenewalSuspended || !lease.IsActive)
                {
                    continue;
                }

                if (!await renewOnce(lease, _stop.Token).ConfigureAwait(false))
                {
                    if (lease.MarkLost())
                    {
                        lost(lease);
                    }

                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }
}
