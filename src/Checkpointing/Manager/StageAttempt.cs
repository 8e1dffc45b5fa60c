using System.Text.Json;

namespace Checkpointing;

/// <summary>
/// One attempt at a stage, as <see cref="CheckpointManager.SaveStageCheckpointAsync(StageAttempt, CancellationToken)"/>
/// records it: the outcome and what the attempt produced. Only <see cref="StageName"/> and <see cref="Status"/> are
/// required.
/// </summary>
/// <param name="StageName">The stage.</param>
/// <param name="Status">The outcome.</param>
/// <example>
/// <code>
/// await manager.SaveStageCheckpointAsync(new StageAttempt("analyze", StageStatus.Completed) { Result = analysis, StartTime = started });
/// </code>
/// </example>
public sealed record StageAttempt(string StageName, StageStatus Status)
{
    /// <summary>Gets the result, serialized to JSON when the record is made; read it back with <see cref="StageCheckpoint.GetResult{T}"/>.</summary>
    public object? Result { get; init; }

    /// <summary>Gets the paths of files the attempt produced.</summary>
    public IReadOnlyList<string>? Artifacts { get; init; }

    /// <summary>Gets the LLM responses the attempt received.</summary>
    public IReadOnlyList<LlmResponse>? LlmResponses { get; init; }

    /// <summary>Gets why the attempt failed.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Gets when the attempt started; by default its end.</summary>
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>Gets when the attempt ended; by default now.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>Gets metadata the library sets on the stage record (fingerprint, error type, ...), over what earlier attempts left.</summary>
    internal IReadOnlyDictionary<string, JsonElement>? Metadata { get; init; }
}
