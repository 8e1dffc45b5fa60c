namespace Checkpointing;

/// <summary>An LLM response was cached ahead of its stage's record (write-ahead).</summary>
public sealed record LlmResponseCached : CheckpointChange
{
    /// <summary>Initializes a new instance of the <see cref="LlmResponseCached"/> class.</summary>
    /// <param name="version">The version this change produces.</param>
    /// <param name="timestamp">When the change was made.</param>
    /// <param name="stageName">The stage the response belongs to.</param>
    /// <param name="response">The response.</param>
    public LlmResponseCached(long version, DateTimeOffset timestamp, string stageName, LlmResponse response)
        : base(version, timestamp)
    {
        ArgumentNullException.ThrowIfNull(stageName);
        ArgumentNullException.ThrowIfNull(response);
        StageName = stageName;
        Response = response;
    }

    /// <summary>Gets the stage the response belongs to.</summary>
    public string StageName { get; }

    /// <summary>Gets the response.</summary>
    public LlmResponse Response { get; }

    private protected override PipelineCheckpoint ApplyCore(PipelineCheckpoint checkpoint) =>
        checkpoint.WithPendingResponse(StageName, Response);
}
