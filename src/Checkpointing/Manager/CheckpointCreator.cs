using System.Collections.Immutable;
using System.Collections.ObjectModel;
using System.Text.Json;
using Checkpointing.Json;

namespace Checkpointing.Manager;

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
    public StageCheckpoint CreateStage(PipelineCheckpoint checkpoint, StageAttempt attempt)
    {
        var now = Now;
        var end = attempt.EndTime ?? now;
        var start = attempt.StartTime ?? end;
        if (end < start)
        {
            throw new ArgumentException($"The end time {end:O} is before the start time {start:O}.", nameof(attempt));
        }

        checkpoint.StageCheckpoints.TryGetValue(attempt.StageName, out var previous);
        checkpoint.PendingLlmResponses.TryGetValue(attempt.StageName, out var pending);
        return new StageCheckpoint
        {
            StageName = attempt.StageName,
            Status = attempt.Status,
            StartTime = start,
            EndTime = end,
            Duration = end - start,
            Result = ToJson(attempt.Result),
            Artifacts = attempt.Artifacts is null ? ImmutableList<string>.Empty : ImmutableList.CreateRange(attempt.Artifacts),
            LlmResponses = MergeResponses(previous?.LlmResponses, pending, attempt.LlmResponses),
            ErrorMessage = attempt.ErrorMessage,
            RetryCount = previous is null ? 0 : checked(previous.RetryCount + (previous.Status == StageStatus.Failed ? 1 : 0)),
            Metadata = MergeMetadata(previous?.Metadata, attempt.Metadata, attempt.Status),
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
        _ => Serialize(value),
    };

    /// <summary>Serializes a caller's value; without reflection (Native AOT, trimming) says how to supply its metadata.</summary>
    private JsonElement Serialize(object value) =>
        JsonSerializer.SerializeToElement(value, SerializerMetadata.For(_serializerOptions, value.GetType()));

    private IReadOnlyDictionary<string, JsonElement> ToJsonMap(IReadOnlyDictionary<string, object?>? values)
    {
        if (values is null || values.Count == 0)
        {
            return ImmutableDictionary<string, JsonElement>.Empty;
        }

        var map = new Dictionary<string, JsonElement>(values.Count, StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            map[key] = ToJson(value) ?? LibraryJsonContext.Null;
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

    /// <summary>
    /// The responses of all sources in order, each prompt, text and model once. Compared without decoding texts that are
    /// still stored (<see cref="LlmResponse.SameTexts"/>): a long run's answers stay bytes until someone reads them.
    /// </summary>
    private static ImmutableList<LlmResponse> MergeResponses(params IReadOnlyList<LlmResponse>?[] sources)
    {
        var seen = new HashSet<LlmResponse>(SameTextsAndModel.Instance);
        var merged = ImmutableList.CreateBuilder<LlmResponse>();
        foreach (var source in sources)
        {
            foreach (var response in source ?? [])
            {
                if (seen.Add(response))
                {
                    merged.Add(response);
                }
            }
        }

        return merged.ToImmutable();
    }

    /// <summary>Responses alike for merging: the same prompt, text and model, compared without decoding stored texts.</summary>
    private sealed class SameTextsAndModel : IEqualityComparer<LlmResponse>
    {
        public static readonly SameTextsAndModel Instance = new();

        public bool Equals(LlmResponse? x, LlmResponse? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.Model == y.Model && x.SameTexts(y));

        public int GetHashCode(LlmResponse obj) => HashCode.Combine(obj.TextsHash(), obj.Model);
    }
}
