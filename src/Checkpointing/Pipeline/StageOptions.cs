namespace Checkpointing;

/// <summary>How <see cref="CheckpointManager.RunStageAsync{T}"/> treats one stage.</summary>
public sealed class StageOptions
{
    /// <summary>Gets or sets a condition that skips the stage: when it returns <see langword="true"/>, the stage is recorded as skipped and not run.</summary>
    /// <value>The default is <see langword="null"/>: never skip.</value>
    public Func<PipelineCheckpoint, bool>? Skip { get; set; }

    /// <summary>
    /// Gets or sets the caller's hash of what the stage depends on (inputs, prompt template, code version). A completed
    /// stage whose stored fingerprint differs is run again, and so is every stage recorded after it.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no fingerprint check.</value>
    public string? Fingerprint { get; set; }

    /// <summary>Gets or sets what happens when a completed stage's artifact is missing or changed.</summary>
    /// <value>The default is <see cref="ArtifactValidation.Rerun"/>.</value>
    public ArtifactValidation ArtifactValidation { get; set; } = ArtifactValidation.Rerun;
}
