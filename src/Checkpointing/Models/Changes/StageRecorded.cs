namespace Checkpointing;

/// <summary>A stage attempt was recorded (completed, failed or skipped).</summary>
public sealed record StageRecorded : CheckpointChange
{
    /// <summary>Initializes a new instance of the <see cref="StageRecorded"/> class.</summary>
    /// <param name="version">The version this change produces.</param>
    /// <param name="timestamp">When the change was made.</param>
    /// <param name="stage">The stage record, which replaces any earlier record of the same stage.</param>
    public StageRecorded(long version, DateTimeOffset timestamp, StageCheckpoint stage)
        : base(version, timestamp)
    {
        ArgumentNullException.ThrowIfNull(stage);
        Stage = stage;
    }

    /// <summary>Gets the stage record.</summary>
    public StageCheckpoint Stage { get; }

    private protected override PipelineCheckpoint ApplyCore(PipelineCheckpoint checkpoint) => checkpoint.WithStage(Stage);
}
