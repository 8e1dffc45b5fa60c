namespace Checkpointing;

/// <summary>The run was marked completed, failed or paused.</summary>
public sealed record StatusChanged : CheckpointChange
{
    /// <summary>Initializes a new instance of the <see cref="StatusChanged"/> class.</summary>
    /// <param name="version">The version this change produces.</param>
    /// <param name="timestamp">When the change was made.</param>
    /// <param name="status">The new status.</param>
    /// <param name="reason">Why, for a failure; stored as <c>metadata.failure_reason</c>.</param>
    public StatusChanged(long version, DateTimeOffset timestamp, CheckpointStatus status, string? reason = null)
        : base(version, timestamp)
    {
        Status = status;
        Reason = reason;
    }

    /// <summary>Gets the new status.</summary>
    public CheckpointStatus Status { get; }

    /// <summary>Gets the reason given for a failure.</summary>
    public string? Reason { get; }

    private protected override PipelineCheckpoint ApplyCore(PipelineCheckpoint checkpoint) => checkpoint.WithStatus(Status, Reason);
}
