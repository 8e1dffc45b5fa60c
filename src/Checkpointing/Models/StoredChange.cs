namespace Checkpointing.Models;

/// <summary>
/// Applies a change read back from a store (a journal record, a change row) to the state before it, refusing what the
/// library never writes: a change that does not produce the next version, a change after the run was completed, or one
/// whose durations no longer add up.
/// </summary>
internal static class StoredChange
{
    /// <summary>Applies <paramref name="change"/> to <paramref name="checkpoint"/>.</summary>
    /// <param name="checkpoint">The state the change must continue.</param>
    /// <param name="change">The change as read.</param>
    /// <param name="source">Where the change is stored, for errors.</param>
    /// <param name="offset">The byte offset of the change in <paramref name="source"/>, when it has one.</param>
    /// <returns>The state after the change.</returns>
    /// <exception cref="CheckpointCorruptedException">The change cannot follow the state.</exception>
    public static PipelineCheckpoint Apply(PipelineCheckpoint checkpoint, CheckpointChange change, string source, long? offset)
    {
        if (change.Version != checkpoint.Version + 1)
        {
            throw new CheckpointCorruptedException(
                source, offset, $"the change has version {change.Version}; expected {checkpoint.Version + 1} to follow the stored state");
        }

        if (checkpoint.Status == CheckpointStatus.Completed)
        {
            throw new CheckpointCorruptedException(
                source, offset, $"a change to version {change.Version} follows the run's completion, after which the library records nothing");
        }

        try
        {
            return change.ApplyTo(checkpoint);
        }
        catch (OverflowException ex)
        {
            throw new CheckpointCorruptedException(
                source, offset, $"the change to version {change.Version} makes a duration or count larger than it can be", ex);
        }
    }
}
