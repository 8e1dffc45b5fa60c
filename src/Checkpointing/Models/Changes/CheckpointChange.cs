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

    /// <summary>
    /// Checks the arguments of <see cref="ICheckpointRepository.SaveChangeAsync"/>: both are given and
    /// <paramref name="checkpoint"/> is the result of <paramref name="change"/> (the same version). For store authors.
    /// </summary>
    /// <param name="checkpoint">The checkpoint with the change applied.</param>
    /// <param name="change">The change.</param>
    /// <exception cref="ArgumentNullException">Either is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The versions differ.</exception>
    public static void ValidateSaveArguments(PipelineCheckpoint checkpoint, CheckpointChange change)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(change);
        if (checkpoint.Version != change.Version)
        {
            throw new ArgumentException(
                $"The checkpoint (version {checkpoint.Version}) is not the result of the change (version {change.Version}).", nameof(checkpoint));
        }
    }

    /// <summary>Applies this change to the checkpoint it was made against.</summary>
    /// <param name="checkpoint">The checkpoint at version <c>Version - 1</c>.</param>
    /// <returns>The checkpoint at <see cref="Version"/>.</returns>
    /// <exception cref="CheckpointConflictException">The checkpoint is not at the version this change was made against.</exception>
    /// <exception cref="InvalidOperationException">The run is completed: nothing more is recorded for it.</exception>
    /// <exception cref="OverflowException">A summed duration or a count no longer fits.</exception>
    public PipelineCheckpoint ApplyTo(PipelineCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.Version != Version - 1)
        {
            throw new CheckpointConflictException(checkpoint.CardId, checkpoint.Version, Version);
        }

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
