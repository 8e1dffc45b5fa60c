using Microsoft.Extensions.Time.Testing;

namespace Checkpointing.Tests.Support;

/// <summary>
/// Drives a <see cref="FakeTimeProvider"/> while real I/O (a database, a file lock) runs on other threads: time moves
/// only when the test moves it, so lease and lock tests are exact and never wait on the real clock.
/// </summary>
internal static class FakeClockDriver
{
    /// <summary>A start instant far from the real clock, so nothing can pass by reading it by mistake.</summary>
    public static readonly DateTimeOffset Epoch = new(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How many turns a wait for background work may take before it gives up (a hang guard, not a timing).</summary>
    private const int MaxTurns = 30_000;

    /// <summary>Moves the clock on by <paramref name="step"/> until <paramref name="task"/> completes, yielding between steps.</summary>
    /// <param name="time">The clock.</param>
    /// <param name="task">The work waiting on the clock (it may do real I/O between its waits).</param>
    /// <param name="step">How far to move the clock each time.</param>
    /// <param name="limit">The most the clock may move before the test fails.</param>
    /// <returns>A task that completes with <paramref name="task"/>.</returns>
    public static async Task AdvanceUntilAsync(FakeTimeProvider time, Task task, TimeSpan step, TimeSpan limit)
    {
        var started = time.GetUtcNow();
        while (!task.IsCompleted)
        {
            if (time.GetUtcNow() - started >= limit)
            {
                throw new TimeoutException($"The task did not complete within {limit} of fake time.");
            }

            time.Advance(step);

            // Hand the CPU to the work for a moment (real I/O runs between its waits on the fake clock); nothing is timed.
            await Task.WhenAny(task, Task.Delay(1));
        }

        await task;
    }

    /// <summary>Waits until <paramref name="condition"/> holds: background work the clock started (a renewal) has finished.</summary>
    /// <param name="condition">What the background work makes true.</param>
    /// <returns><see langword="true"/> when it held; <see langword="false"/> only if the work hung.</returns>
    public static async Task<bool> WhenAsync(Func<bool> condition)
    {
        for (var turn = 0; turn < MaxTurns; turn++)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(1); // a turn for the background work; nothing is timed
        }

        return condition();
    }
}
