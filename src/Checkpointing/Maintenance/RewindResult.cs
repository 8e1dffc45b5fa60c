namespace Checkpointing;

/// <summary>What <see cref="CheckpointManager.RewindAsync"/> changed (or, on a dry run, would change).</summary>
/// <param name="Applied">Whether the rewind was stored; <see langword="false"/> on a dry run.</param>
/// <param name="Stages">The stages whose records were removed, so they run again on the next resume, in recorded order.</param>
/// <param name="LlmResponsesKept">LLM responses of those stages kept cached (as write-ahead responses), so a rerun reuses them.</param>
/// <param name="LlmResponsesDropped">LLM responses of those stages forgotten.</param>
/// <param name="Checkpoint">The run after the rewind (as stored, or as it would be stored).</param>
public sealed record RewindResult(bool Applied, IReadOnlyList<string> Stages, int LlmResponsesKept, int LlmResponsesDropped, PipelineCheckpoint Checkpoint);
