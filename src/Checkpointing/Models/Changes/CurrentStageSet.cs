namespace Checkpointing;

/// <summary>The pipeline said which stage it is working on.</summary>
public sealed record CurrentStageSet : CheckpointChange
{
    /// <summary>Initializes a new instance of the <see cref="CurrentStageSet"/> class.</summary>
    /// <param name="version">The version this change produces.</param>
    /// <param name="timestamp">When the change was made.</param>
    /// <param name="stageName">The stage now running.</param>
    public CurrentStageSet(long version, DateTimeOffset timestamp, string stageName)
        : base(version, timestamp)
    {
        ArgumentNullException.ThrowIfNull(stageName);
        StageName = stageName;
    }

    /// <summary>Gets the stage now running.</summary>
    public string StageName { get; }

    private protected override PipelineCheckpoint ApplyCore(PipelineCheckpoint checkpoint) =>
        checkpoint with { CurrentStage = StageName };
}
