namespace Checkpointing;

/// <summary>How <see cref="CheckpointManager.RewindAsync"/> rewinds a run.</summary>
public sealed record RewindOptions
{
    /// <summary>
    /// Gets a value indicating whether the LLM answers of the rewound stages are forgotten, so they are asked (and paid
    /// for) again. By default they stay cached as write-ahead responses and a rerun reuses them.
    /// </summary>
    public bool DropLlmResponses { get; init; }

    /// <summary>Gets a value indicating whether to only compute what would change: nothing is written and no ownership is taken.</summary>
    public bool DryRun { get; init; }
}
