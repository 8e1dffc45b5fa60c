using System.Collections.Immutable;
using System.Text.Json;

namespace Checkpointing.Testing;

/// <summary>
/// Builders of test data that use every field a store must keep: unknown fields of the Python manager, JSON results of
/// every kind, models and extra fields on LLM responses, write-ahead responses, non-ASCII text. Timestamps are whole
/// microseconds, so stores that keep microseconds round-trip them exactly.
/// </summary>
public static class CheckpointSamples
{
    /// <summary>The instant every sample timestamp is measured from: 2026-03-04T05:06:07.123456Z.</summary>
    public static readonly DateTimeOffset Epoch = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(1_234_560);

    /// <summary>Returns a sample timestamp.</summary>
    /// <param name="seconds">Seconds after <see cref="Epoch"/>.</param>
    /// <returns>The timestamp, in UTC.</returns>
    public static DateTimeOffset At(int seconds) => Epoch.AddSeconds(seconds);

    /// <summary>Parses JSON text into a detached element.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The element.</returns>
    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Builds an LLM response with a model, usage, finish reason, request key and the extra fields the Python manager
    /// wrote; without a model, it has no usage, finish reason or request key either.
    /// </summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="answer">The answer; by default one derived from the prompt.</param>
    /// <param name="model">The model, or <see langword="null"/> for none.</param>
    /// <returns>The response.</returns>
    public static LlmResponse Response(string prompt, string? answer = null, string? model = "model-a") =>
        new(prompt, answer ?? $"answer to «{prompt}» ✓")
        {
            Model = model,
            Usage = model is null ? null : new LlmUsage(1200, 345, 0.00123m, "USD"),
            FinishReason = model is null ? null : "stop",
            RequestKey = model is null ? null : $"req-{prompt.Length:x4}",
            AdditionalProperties = ImmutableDictionary<string, JsonElement>.Empty
                .Add("tokens", Json("1234"))
                .Add("cost_usd", Json("0.00120")),
        };

    /// <summary>Builds an LLM response of about <paramref name="bytes"/> bytes of (mostly ASCII) text.</summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="bytes">The size of the answer.</param>
    /// <returns>The response.</returns>
    public static LlmResponse LargeResponse(string prompt, int bytes)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var chars = new char[bytes];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)('a' + ((i + prompt.Length) % 26));
        }

        chars[0] = 'é';
        return new LlmResponse(prompt, new string(chars)) { Model = "model-large", Usage = new LlmUsage(bytes, bytes / 4) };
    }

    /// <summary>Builds a stage record with a result, artifacts, responses, metadata and an unknown field.</summary>
    /// <param name="name">The stage name.</param>
    /// <param name="status">The outcome.</param>
    /// <param name="startSeconds">When the attempt started, in seconds after <see cref="Epoch"/>.</param>
    /// <param name="durationSeconds">How long it took.</param>
    /// <param name="responses">The LLM responses; by default two.</param>
    /// <returns>The stage record.</returns>
    public static StageCheckpoint Stage(
        string name, StageStatus status = StageStatus.Completed, int startSeconds = 10, int durationSeconds = 5, IReadOnlyList<LlmResponse>? responses = null) => new()
        {
            StageName = name,
            Status = status,
            StartTime = At(startSeconds),
            EndTime = At(startSeconds + durationSeconds),
            Duration = TimeSpan.FromSeconds(durationSeconds),
            Result = status == StageStatus.Completed
                ? Json($$$"""{"summary":"{{{name}}} done ✓","items":[1,2.50,-3,true,null,"ü"],"nested":{"b":[],"a":{}},"big":12345678901234567}""")
                : null,
            Artifacts = ImmutableList.Create($"out/{name}/report.md", "out/日本語.txt"),
            LlmResponses = responses ?? ImmutableList.Create(Response($"{name}: prompt 1"), Response($"{name}: prompt 2", model: null)),
            ErrorMessage = status == StageStatus.Failed ? $"{name} failed: timeout «upstream»" : null,
            RetryCount = status == StageStatus.Failed ? 1 : 0,
            Metadata = ImmutableDictionary<string, JsonElement>.Empty.Add("worker", Json("\"w-1\"")).Add("attempt", Json("2")),
            AdditionalProperties = ImmutableDictionary<string, JsonElement>.Empty.Add("python_only_stage_field", Json("""{"kept":true}""")),
        };

    /// <summary>
    /// Builds a checkpoint that exercises every field: a completed stage, a pending write-ahead response, an execution
    /// context and metadata with every JSON kind, and an unknown top-level field.
    /// </summary>
    /// <param name="cardId">The card.</param>
    /// <param name="version">The version.</param>
    /// <returns>The checkpoint.</returns>
    public static PipelineCheckpoint Checkpoint(string cardId, long version = 1)
    {
        var stage = Stage("prepare");
        return new PipelineCheckpoint
        {
            CheckpointId = $"checkpoint-{cardId}-1772600767",
            CardId = cardId,
            Status = CheckpointStatus.Active,
            CreatedAt = At(0),
            UpdatedAt = At(15),
            CompletedStages = ImmutableList.Create("prepare"),
            CurrentStage = "analyze",
            StageCheckpoints = new Dictionary<string, StageCheckpoint>(StringComparer.Ordinal) { ["prepare"] = stage },
            ExecutionContext = ImmutableDictionary<string, JsonElement>.Empty
                .Add("repository", Json("\"git@example.org:team/repo.git\""))
                .Add("flags", Json("""["--fast","--ü"]"""))
                .Add("depth", Json("3"))
                .Add("ratio", Json("1.50"))
                .Add("dry_run", Json("false"))
                .Add("nothing", Json("null"))
                .Add("nested", Json("""{"z":1,"a":{"deep":[{"x":"🚀"}]}}""")),
            TotalStages = 4,
            TotalDuration = TimeSpan.FromSeconds(5),
            EstimatedRemaining = TimeSpan.FromSeconds(15),
            Metadata = ImmutableDictionary<string, JsonElement>.Empty.Add("owner", Json("\"team-ü\"")),
            PendingLlmResponses = ImmutableDictionary<string, IReadOnlyList<LlmResponse>>.Empty
                .Add("analyze", ImmutableList.Create(Response("analyze: early prompt"))),
            Version = version,
            AdditionalProperties = ImmutableDictionary<string, JsonElement>.Empty
                .Add("python_only_field", Json("""{"kept":[1,"two"]}""")),
        };
    }

    /// <summary>Builds the smallest valid checkpoint: no stages, no context.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="version">The version.</param>
    /// <returns>The checkpoint.</returns>
    public static PipelineCheckpoint Minimal(string cardId, long version = 1) => new()
    {
        CheckpointId = $"checkpoint-{cardId}",
        CardId = cardId,
        CreatedAt = At(0),
        UpdatedAt = At(0),
        TotalStages = 3,
        Version = version,
    };
}
