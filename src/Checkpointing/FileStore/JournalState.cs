namespace Checkpointing.FileStore;

/// <summary>The result of replaying a journal.</summary>
/// <param name="Checkpoint">The state after every valid record.</param>
/// <param name="ValidLength">The offset just past the last valid record (0 when the journal is not current).</param>
/// <param name="FileLength">The journal's length on disk.</param>
/// <param name="IsCurrent">Whether the journal continues the snapshot (same generation id).</param>
/// <param name="Records">The number of records replayed.</param>
/// <param name="HasTornTail">
/// Whether bytes after the last valid record are not all zero (the remains of an interrupted append), so the next
/// owner must cut them. Zeros after the last record are the space the writer fills next.
/// </param>
internal sealed record JournalState(PipelineCheckpoint Checkpoint, long ValidLength, long FileLength, bool IsCurrent, int Records, bool HasTornTail);
