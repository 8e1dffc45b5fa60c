namespace Checkpointing.Testing;

/// <summary>
/// A clock for managers under test: starts at <see cref="CheckpointSamples.Epoch"/> and moves one millisecond per reading,
/// so timestamps are whole microseconds (kept exactly by every store) and durations are never zero. Timers use the system clock.
/// </summary>
internal sealed class SteppingTimeProvider : TimeProvider
{
    private long _readings;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() =>
        CheckpointSamples.Epoch.AddMilliseconds(Interlocked.Increment(ref _readings));
}
