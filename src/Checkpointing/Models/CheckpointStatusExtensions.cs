namespace Checkpointing;

/// <summary>What a <see cref="CheckpointStatus"/> allows.</summary>
public static class CheckpointStatusExtensions
{
    /// <summary>
    /// Tells whether a run in this status can be resumed: active, paused, resumed and failed runs can (a failed stage is
    /// retried); completed ones cannot. The Python manager refused resumed runs, so a run that crashed twice could not go
    /// on; this library resumes them. This is the one definition of the set: the manager, and stores that select
    /// resumable runs themselves (PostgreSQL's claim query), follow it.
    /// </summary>
    /// <param name="status">The status.</param>
    /// <returns><see langword="true"/> when a run in <paramref name="status"/> can be resumed.</returns>
    public static bool IsResumable(this CheckpointStatus status) =>
        status is CheckpointStatus.Active or CheckpointStatus.Paused or CheckpointStatus.Resumed or CheckpointStatus.Failed;
}
