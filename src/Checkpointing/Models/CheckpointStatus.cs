namespace Checkpointing;

/// <summary>The lifecycle state of a pipeline checkpoint.</summary>
/// <remarks>Stored as the lower-case name (<c>active</c>, <c>paused</c>, ...), as the Python manager did.</remarks>
public enum CheckpointStatus
{
    /// <summary>The pipeline is running and has not been resumed.</summary>
    Active,

    /// <summary>The pipeline was paused on purpose and can be resumed.</summary>
    Paused,

    /// <summary>Every stage finished; the checkpoint cannot be resumed.</summary>
    Completed,

    /// <summary>The pipeline failed; resuming retries the failed stage.</summary>
    Failed,

    /// <summary>The pipeline was resumed from a checkpoint at least once.</summary>
    Resumed,
}
