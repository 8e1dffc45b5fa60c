namespace Checkpointing;

/// <summary>
/// One persisted change to a checkpoint. Stores that can write only what changed (a journal record, a row)
/// persist the change; <see cref="ApplyTo"/> replays it. The set of changes is closed: the library defines them all.
/// </summary>
public abstract record CheckpointChange
{
    private protected CheckpointChange(long version, DateTimeOffset timestamp)
    {
        Version = version;
        Timestamp = timestamp;
    }

    /// <summary>Gets the checkpoint version this change produces; it was made against <c>Version - 1</c>.</summary>
    public long Version { get; }

    /// <summary>Gets when the change was made; it becomes the checkpoint's <see cref="PipelineCheckpoint.UpdatedAt"/>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Applies this change to the checkpoint it was made against.</summary>
    /// <param name="checkpoint">The checkpoint at version <c>Version - 1</c>.</param>
    /// <returns>The checkpoint at <see cref="Version"/>.</returns>
    /// <exception cref="CheckpointConflictException">The checkpoint is not at the version this change was made against.</exception>
    /// <exception cref="InvalidOperationException">The run is completed: nothing more is recorded for it.</exception>
    /// <exception cref="OverflowException">A summed duration or a count no longer fits.</exception>
    public PipelineCheckpoint ApplyTo(PipelineCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CheckpointConflictException.ThrowIfNotNext(checkpoint.CardId, checkpoint.Version, Version);

        if (checkpoint.Status == CheckpointStatus.Completed)
        {
            throw new InvalidOperationException(
                $"The run of card '{checkpoint.CardId}' is completed: nothing more is recorded for it. Start a new run with CreateCheckpointAsync.");
        }

        return ApplyCore(checkpoint) with { Version = Version, UpdatedAt = Timestamp };
    }

    /// <summary>Applies the change's own effect; version and timestamp are set by <see cref="ApplyTo"/>.</summary>
    private protected abstract PipelineCheckpoint ApplyCore(PipelineCheckpoint checkpoint);
}
