namespace Checkpointing;

/// <summary>The outcome of one attempt at a pipeline stage.</summary>
public enum StageStatus
{
    /// <summary>The stage finished and its result can be reused.</summary>
    Completed,

    /// <summary>The stage failed; it is run again on resume and its retry count goes up.</summary>
    Failed,

    /// <summary>The stage was skipped on purpose; it is not run again.</summary>
    Skipped,
}
