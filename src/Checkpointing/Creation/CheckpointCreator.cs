using System.Collections.Immutable;
using System.Collections.ObjectModel;
using System.Text.Json;

namespace Checkpointing;

/// <summary>Builds new checkpoints and stage records, and computes progress, from the manager's clock and serializer options.</summary>
internal sealed class CheckpointCreator
{
    /// <summary>The stage metadata key holding the exception type of a failed attempt.</summary>
    public const string ErrorTypeKey = "error_type";

    private readonly TimeProvider _timeProvider;
    private readonly JsonSerializerOptions _serializerOptions;

    public CheckpointCreator(TimeProvider timeProvider, JsonSerializerOptions serializerOptions)
    {
        _timeProvider = timeProvider;
        _serializerOptions = serializerOptions;
    }

    /// <summary>Gets the current time.</summary>
    public DateTimeOffset Now => _timeProvider.GetUtcNow();

    /// <summary>Creates the first state of a run.</summary>
    public PipelineCheckpoint CreateCheckpoint(
        string cardId, int totalStages, IReadOnlyDictionary<string, object?>? executionContext, long version)
    {
        var now = Now;
        return new PipelineCheckpoint
        {
            CheckpointId = $"checkpoint-{cardId}-{now.ToUnixTimeSeconds()}",
            CardId = cardId,
            Status = CheckpointStatus.Active,
            CreatedAt = now,
            UpdatedAt = now,
            TotalStages = totalStages,
            ExecutionContext = ToJsonMap(executionContext),
            Version = version,
        };
    }

    /// <summary>
    /// Creates the record of a stage attempt. LLM responses of earlier attempts, write-ahead responses and the given
    /// ones are kept once each, in that order; a new attempt after a failure counts as a retry.
    /// </summary>
    public StageCheckpoint CreateStage(
        PipelineCheckpoint checkpoint,
        string stageName,
        StageStatus status,
        object? result,
        IReadOnlyList<string>? artifacts,
        IReadOnlyList<LlmResponse>? llmResponses,
        string? errorMessage,
        DateTimeOffset? startTime,
        DateTimeOffset? endTime,
        IReadOnlyDictionary<string, JsonElement>? metadata = null)
    {
        var now = Now;
        var end = endTime ?? now;
        var start = startTime ?? end;
        if (end < start)
        {
            throw new ArgumentException($"The end time {end:O} is before the start time {start:O}.", nameof(endTime));
        }

        checkpoint.StageCheckpoints.TryGetValue(stageName, out var previous);
        checkpoint.PendingLlmResponses.TryGetValue(stageName, out var pending);
        return new StageCheckpoint
        {
            StageName = stageName,
            Status = status,
            StartTime = start,
            EndTime = end,
            Duration = end - start,
            Result = ToJson(result),
            Artifacts = artifacts is null ? ImmutableList<string>.Empty : ImmutableList.CreateRange(artifacts),
            LlmResponses = MergeResponses(previous?.LlmResponses, pending, llmResponses),
            ErrorMessage = errorMessage,
            RetryCount = previous is null ? 0 : previous.RetryCount + (previous.Status == StageStatus.Failed ? 1 : 0),
            Metadata = MergeMetadata(previous?.Metadata, metadata, status),
        };
    }

    /// <summary>Computes progress: percent with two decimals, elapsed stage time and the estimate.</summary>
    public static PipelineProgress GetProgress(PipelineCheckpoint checkpoint)
    {
        var percent = checkpoint.TotalStages > 0
            ? Math.Min(100, Math.Round(checkpoint.StagesCompleted * 100.0 / checkpoint.TotalStages, 2, MidpointRounding.AwayFromZero))
            : 0;
        return new PipelineProgress(
            percent,
            checkpoint.StagesCompleted,
            checkpoint.TotalStages,
            checkpoint.CurrentStage,
            checkpoint.TotalDuration,
            checkpoint.EstimatedRemaining);
    }

    /// <summary>Serializes a caller's value to JSON; a <see cref="JsonElement"/> is kept as it is.</summary>
    public JsonElement? ToJson(object? value) => value switch
    {
        null => null,
        JsonElement element => element.Clone(),
        JsonDocument document => document.RootElement.Clone(),
        _ => JsonSerializer.SerializeToElement(value, value.GetType(), _serializerOptions),
    };

    private IReadOnlyDictionary<string, JsonElement> ToJsonMap(IReadOnlyDictionary<string, object?>? values)
    {
        if (values is null || values.Count == 0)
        {
            return ImmutableDictionary<string, JsonElement>.Empty;
        }

        var map = new Dictionary<string, JsonElement>(values.Count, StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            map[key] = ToJson(value) ?? JsonSerializer.SerializeToElement<object?>(null);
        }

        return new ReadOnlyDictionary<string, JsonElement>(map);
    }

    /// <summary>Keeps earlier metadata of the stage, minus the error type of a failure once it succeeds, then applies updates.</summary>
    private static IReadOnlyDictionary<string, JsonElement> MergeMetadata(
        IReadOnlyDictionary<string, JsonElement>? previous, IReadOnlyDictionary<string, JsonElement>? updates, StageStatus status)
    {
        var clearError = status != StageStatus.Failed && previous?.ContainsKey(ErrorTypeKey) == true;
        if ((updates is null || updates.Count == 0) && !clearError)
        {
            return previous ?? ImmutableDictionary<string, JsonElement>.Empty;
        }

        var merged = previous is null ? new Dictionary<string, JsonElement>(StringComparer.Ordinal) : new Dictionary<string, JsonElement>(previous, StringComparer.Ordinal);
        if (clearError)
        {
            merged.Remove(ErrorTypeKey);
        }

        foreach (var (key, value) in updates ?? ImmutableDictionary<string, JsonElement>.Empty)
        {
            merged[key] = value;
        }

        return new ReadOnlyDictionary<string, JsonElement>(merged);
    }

    private static ImmutableList<LlmResponse> MergeResponses(params IReadOnlyList<LlmResponse>?[] sources)
    {
        var seen = new HashSet<(string Prompt, string Response, string? Model)>();
        var merged = ImmutableList.CreateBuilder<LlmResponse>();
        foreach (var source in sources)
        {
            foreach (var response in source ?? [])
            {
                if (seen.Add((response.Prompt, response.Response, response.Model)))
                {
                    merged.Add(response);
                }
            }
        }

        return merged.ToImmutable();
    }
}
