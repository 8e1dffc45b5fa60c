namespace Checkpointing;

/// <summary>What <see cref="CheckpointManager.ResumeOrCreateAsync"/> does with a card whose stored run completed.</summary>
public enum CompletedRunPolicy
{
    /// <summary>
    /// The completed run is kept and returned as it is: <see cref="CheckpointManager.RunStageAsync{T}"/> returns each
    /// stored result without running, no LLM call is made, and <see cref="CheckpointManager.MarkCompletedAsync"/> does
    /// nothing. Starting over takes <see cref="CheckpointManager.CreateCheckpointAsync"/>. The default: a finished card
    /// is never paid for twice by accident.
    /// </summary>
    Keep,

    /// <summary>
    /// A new run replaces the completed one, its cached answers included, as
    /// <see cref="CheckpointManager.CreateCheckpointAsync"/> does. For pipelines meant to run a card again and again.
    /// </summary>
    Restart,
}
