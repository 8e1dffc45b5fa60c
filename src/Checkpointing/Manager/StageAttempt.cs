using System.Text.Json;

namespace Checkpointing.Manager;

/// <summary>What a caller reports about one attempt at a stage; <see cref="CheckpointCreator.CreateStage"/> turns it into a record.</summary>
/// <param name="StageName">The stage.</param>
/// <param name="Status">The outcome.</param>
internal sealed record StageAttempt(string StageName, StageStatus Status)
{
    /// <summary>Gets the result, serialized to JSON when the record is made.</summary>
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

    /// <summary>Gets metadata to set on the stage record, over what earlier attempts left.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Metadata { get; init; }
}
