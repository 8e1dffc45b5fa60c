namespace Checkpointing.Ownership;

/// <summary>
/// The wait of <see cref="ICheckpointRepository.AcquireOwnershipAsync"/> for stores that poll: try, and while the card
/// is held, try again every poll interval until the timeout (<see cref="Timeout.InfiniteTimeSpan"/>: until cancelled).
/// </summary>
internal static class OwnershipWait
{
    /// <summary>Checks a timeout argument of <see cref="ICheckpointRepository.AcquireOwnershipAsync"/>.</summary>
    /// <param name="timeout">Zero or more, or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">Any other negative value.</exception>
    public static void ValidateTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
        }
    }

    /// <summary>Tries until <paramref name="tryOnce"/> returns a handle, or the timeout ends.</summary>
    /// <typeparam name="THandle">What a successful try returns.</typeparam>
    /// <param name="tryOnce">One try: the handle, or <see langword="null"/> while the card is held.</param>
    /// <param name="locked">The error once the timeout ended, given how long was waited (zero for a zero timeout).</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="pollInterval">How long between tries.</param>
    /// <param name="time">The clock.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The handle and how long was waited for it.</returns>
    public static async Task<(THandle Handle, TimeSpan Waited)> PollAsync<THandle>(
        Func<CancellationToken, Task<THandle?>> tryOnce,
        Func<TimeSpan, CancellationToken, Task<Exception>> locked,
        TimeSpan timeout,
        TimeSpan pollInterval,
        TimeProvider time,
        CancellationToken cancellationToken)
        where THandle : class
    {
        ValidateTimeout(timeout);
        var started = time.GetTimestamp();
        var infinite = timeout == Timeout.InfiniteTimeSpan;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var waited = time.GetElapsedTime(started);
            if (await tryOnce(cancellationToken).ConfigureAwait(false) is { } handle)
            {
                return (handle, waited);
            }

            waited = time.GetElapsedTime(started);
            if (!infinite && waited >= timeout)
            {
                // With a zero timeout nothing was waited for: the time went to the one try (connecting, say).
                throw await locked(timeout == TimeSpan.Zero ? TimeSpan.Zero : waited, cancellationToken).ConfigureAwait(false);
            }

            var delay = !infinite && timeout - waited < pollInterval ? timeout - waited : pollInterval;
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
