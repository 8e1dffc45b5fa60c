namespace Checkpointing;

/// <summary>
/// A change together with the checkpoint it produces: what <see cref="ICheckpointRepository.SaveChangeAsync"/> stores.
/// A store persists the change alone (a journal record, a row) or the checkpoint as a whole document; the change is
/// applied once, here, so the two always agree and no store has to check them against each other.
/// </summary>
public sealed class AppliedChange
{
    /// <summary>Applies <paramref name="change"/> to <paramref name="previous"/>.</summary>
    /// <param name="previous">The checkpoint the change was made against, at version <c>change.Version - 1</c>.</param>
    /// <param name="change">The change.</param>
    /// <exception cref="ArgumentNullException">Either is <see langword="null"/>.</exception>
    /// <exception cref="CheckpointConflictException"><paramref name="previous"/> is not at the version the change was made against.</exception>
    /// <exception cref="InvalidOperationException">The run is completed: nothing more is recorded for it.</exception>
    /// <exception cref="OverflowException">A summed duration or a count no longer fits.</exception>
    public AppliedChange(PipelineCheckpoint previous, CheckpointChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        Checkpoint = change.ApplyTo(previous);
        Change = change;
    }

    /// <summary>Gets the change; the stored version must be <c>Change.Version - 1</c> when it is saved.</summary>
    public CheckpointChange Change { get; }

    /// <summary>Gets the checkpoint with the change applied, at <c>Change.Version</c>.</summary>
    public PipelineCheckpoint Checkpoint { get; }
}
