namespace Checkpointing;

/// <summary>What <see cref="CheckpointManager.RunStageAsync{T}"/> does when a completed stage's artifact is missing or changed.</summary>
public enum ArtifactValidation
{
    /// <summary>Run the stage again (logged with the file's name). The default.</summary>
    Rerun,

    /// <summary>Throw <see cref="CheckpointArtifactException"/>.</summary>
    Throw,

    /// <summary>Reuse the stored result anyway.</summary>
    Ignore,
}
