namespace Checkpointing;

/// <summary>A checkpoint document as read from disk, with the id of the journal that continues it.</summary>
/// <param name="Checkpoint">The checkpoint the document holds.</param>
/// <param name="JournalId">The journal generation written after it, or <see langword="null"/> (files of the Python manager).</param>
internal sealed record SnapshotDocument(PipelineCheckpoint Checkpoint, string? JournalId);
