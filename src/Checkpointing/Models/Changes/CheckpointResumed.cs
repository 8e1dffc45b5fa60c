namespace Checkpointing;

/// <summary>The run was resumed: status becomes resumed, the resume count goes up.</summary>
public sealed record CheckpointResumed : CheckpointChange
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointResumed"/> class.</summary>
    /// <param name="version">The version this change produces.</param>
    /// <param name="timestamp">When the run was resumed; it becomes <see cref="PipelineCheckpoint.LastResumeTime"/>.</param>
    public CheckpointResumed(long version, DateTimeOffset timestamp)
        : base(version, timestamp)
    {
    }

    private protected override PipelineCheckpoint ApplyCore(PipelineCheckpoint checkpoint) =>
        checkpoint with
        {
            Status = CheckpointStatus.Resumed,
            ResumeCount = checked(checkpoint.ResumeCount + 1),
            LastResumeTime = Timestamp,
        };
}
