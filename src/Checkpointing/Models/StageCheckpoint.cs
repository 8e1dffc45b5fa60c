using System.Collections.Immutable;
using System.Text.Json;
using Checkpointing.Manager;

namespace Checkpointing;

/// <summary>The record of the latest attempt at one pipeline stage.</summary>
public sealed record StageCheckpoint
{
    /// <summary>Gets the stage name, unique within a pipeline run.</summary>
    public required string StageName { get; init; }

    /// <summary>Gets the outcome of the latest attempt.</summary>
    public required StageStatus Status { get; init; }

    /// <summary>Gets when the latest attempt started.</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>Gets when the latest attempt ended, when known.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>Gets how long the latest attempt took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Gets the stage's result as JSON, or <see langword="null"/> when it has none.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>Gets the paths of files the stage produced.</summary>
    public IReadOnlyList<string> Artifacts { get; init; } = ImmutableList<string>.Empty;

    /// <summary>Gets the LLM responses the stage received, in the order they were recorded.</summary>
    public IReadOnlyList<LlmResponse> LlmResponses { get; init; } = ImmutableList<LlmResponse>.Empty;

    /// <summary>Gets the error message of a failed attempt.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Gets how many times the stage was attempted again after a failure.</summary>
    public int RetryCount { get; init; }

    /// <summary>Gets free-form metadata of the stage.</summary>
    public IReadOnlyDictionary<string, JsonElement> Metadata { get; init; } = ImmutableDictionary<string, JsonElement>.Empty;

    /// <summary>Gets stored fields this library does not interpret; they are written back unchanged.</summary>
    public IReadOnlyDictionary<string, JsonElement> AdditionalProperties { get; init; } =
        ImmutableDictionary<string, JsonElement>.Empty;

    /// <summary>Deserializes <see cref="Result"/> as <typeparamref name="T"/>; a <see cref="JsonElement"/> is returned as stored.</summary>
    /// <typeparam name="T">The type the result was saved as, or one compatible with its JSON.</typeparam>
    /// <param name="options">Serializer options; by default property names match case-insensitively.</param>
    /// <returns>The result, or <see langword="default"/> when the stage has no result.</returns>
    /// <exception cref="JsonException">The stored JSON cannot be read as <typeparamref name="T"/>.</exception>
    public T? GetResult<T>(JsonSerializerOptions? options = null)
    {
        if (Result is not { } result)
        {
            return default;
        }

        if (typeof(T) == typeof(JsonElement))
        {
            return (T)(object)result.Clone(); // needs no metadata, even where reflection is disabled
        }

        return result.ValueKind == JsonValueKind.Null
            ? default
            : result.Deserialize(SerializerMetadata.For<T>(options ?? CheckpointSerializerDefaults.Options));
    }
}
