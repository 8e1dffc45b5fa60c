using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using N = Checkpointing.Json.CheckpointJsonNames;

namespace Checkpointing.Json;

/// <summary>Writes checkpoints, stage records and changes in the snake_case layout the Python manager reads.</summary>
internal static class CheckpointJsonWriter
{
    /// <summary>Timestamps carry microseconds and an offset: <c>2026-11-26T22:09:57.109249+00:00</c>.</summary>
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz";

    private static readonly JsonWriterOptions Indented = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private static readonly JsonWriterOptions Compact = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>Writes a whole checkpoint document.</summary>
    public static void WriteSnapshot(IBufferWriter<byte> output, PipelineCheckpoint checkpoint, string? journalId, bool indented = true)
    {
        using var writer = new Utf8JsonWriter(output, indented ? Indented : Compact);
        writer.WriteStartObject();
        writer.WriteString(N.CheckpointId, checkpoint.CheckpointId);
        writer.WriteString(N.CardId, checkpoint.CardId);
        writer.WriteString(N.Status, StatusNames.Of(checkpoint.Status));
        WriteTimestamp(writer, N.CreatedAt, checkpoint.CreatedAt);
        WriteTimestamp(writer, N.UpdatedAt, checkpoint.UpdatedAt);
        WriteStrings(writer, N.CompletedStages, checkpoint.CompletedStages);
        WriteStrings(writer, N.FailedStages, checkpoint.FailedStages);
        WriteStrings(writer, N.SkippedStages, checkpoint.SkippedStages);
        writer.WriteString(N.CurrentStage, checkpoint.CurrentStage);
        writer.WriteStartObject(N.StageCheckpoints);
        foreach (var stage in checkpoint.StageCheckpoints.Values)
        {
            writer.WritePropertyName(stage.StageName);
            WriteStage(writer, stage);
        }

        writer.WriteEndObject();
        WriteMap(writer, N.ExecutionContext, checkpoint.ExecutionContext);
        writer.WriteNumber(N.TotalStages, checkpoint.TotalStages);
        writer.WriteNumber(N.StagesCompleted, checkpoint.StagesCompleted);
        writer.WriteNumber(N.TotalDurationSeconds, checkpoint.TotalDuration.TotalSeconds);
        writer.WriteNumber(N.EstimatedRemainingSeconds, checkpoint.EstimatedRemaining.TotalSeconds);
        writer.WriteNumber(N.ResumeCount, checkpoint.ResumeCount);
        WriteTimestamp(writer, N.LastResumeTime, checkpoint.LastResumeTime);
        WriteMap(writer, N.Metadata, checkpoint.Metadata);
        if (checkpoint.PendingLlmResponses.Count > 0)
        {
            writer.WriteStartObject(N.PendingLlmResponses);
            foreach (var (stageName, responses) in checkpoint.PendingLlmResponses)
            {
                writer.WriteStartArray(stageName);
                foreach (var response in responses)
                {
                    WriteResponse(writer, response);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        writer.WriteNumber(N.SchemaVersion, N.CurrentSchemaVersion);
        writer.WriteNumber(N.Version, checkpoint.Version);
        if (journalId is not null)
        {
            writer.WriteString(N.JournalId, journalId);
        }

        WriteAdditional(writer, checkpoint.AdditionalProperties, OwnedFieldNames.Document, static (names, key) => names.Contains(key));
        writer.WriteEndObject();
    }

    /// <summary>Writes one change as a compact journal record payload.</summary>
    public static void WriteChange(IBufferWriter<byte> output, CheckpointChange change)
    {
        using var writer = new Utf8JsonWriter(output, Compact);
        writer.WriteStartObject();
        writer.WriteNumber(N.ChangeVersion, change.Version);
        WriteTimestamp(writer, N.ChangeTimestamp, change.Timestamp);
        switch (change)
        {
            case StageRecorded stage:
                writer.WriteString(N.ChangeType, "stage");
                writer.WritePropertyName(N.ChangeStage);
                WriteStage(writer, stage.Stage);
                break;
            case LlmResponseCached cached:
                writer.WriteString(N.ChangeType, "llm_response");
                writer.WriteString(N.StageName, cached.StageName);
                writer.WritePropertyName(N.Response);
                WriteResponse(writer, cached.Response);
                break;
            case CurrentStageSet current:
                writer.WriteString(N.ChangeType, "current_stage");
                writer.WriteString(N.StageName, current.StageName);
                break;
            case StatusChanged status:
                writer.WriteString(N.ChangeType, "status");
                writer.WriteString(N.Status, StatusNames.Of(status.Status));
                writer.WriteString(N.ChangeReason, status.Reason);
                break;
            case CheckpointResumed:
                writer.WriteString(N.ChangeType, "resumed");
                break;
            default:
                throw new ArgumentException($"Unknown change type {change.GetType().Name}.", nameof(change));
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes one stage record.</summary>
    public static void WriteStage(Utf8JsonWriter writer, StageCheckpoint stage)
    {
        writer.WriteStartObject();
        writer.WriteString(N.StageName, stage.StageName);
        writer.WriteString(N.Status, StatusNames.Of(stage.Status));
        WriteTimestamp(writer, N.StartTime, stage.StartTime);
        WriteTimestamp(writer, N.EndTime, stage.EndTime);
        writer.WriteNumber(N.DurationSeconds, stage.Duration.TotalSeconds);
        writer.WritePropertyName(N.Result);
        if (stage.Result is { } result)
        {
            result.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }

        WriteStrings(writer, N.Artifacts, stage.Artifacts);
        writer.WriteStartArray(N.LlmResponses);
        foreach (var response in stage.LlmResponses)
        {
            WriteResponse(writer, response);
        }

        writer.WriteEndArray();
        writer.WriteString(N.ErrorMessage, stage.ErrorMessage);
        writer.WriteNumber(N.RetryCount, stage.RetryCount);
        WriteMap(writer, N.Metadata, stage.Metadata);
        WriteAdditional(writer, stage.AdditionalProperties, OwnedFieldNames.Stage, static (names, key) => names.Contains(key));
        writer.WriteEndObject();
    }

    /// <summary>Writes one LLM response.</summary>
    public static void WriteResponse(Utf8JsonWriter writer, LlmResponse response)
    {
        writer.WriteStartObject();
        if (response.TryGetStoredPrompt(out var storedPrompt))
        {
            writer.WritePropertyName(N.Prompt);
            storedPrompt.WriteTo(writer); // copied as stored, never decoded
        }
        else
        {
            writer.WriteString(N.Prompt, response.Prompt);
        }

        if (response.TryGetStoredText(out var storedText))
        {
            writer.WritePropertyName(N.Response);
            storedText.WriteTo(writer); // copied as stored, never decoded
        }
        else if (response.TryGetStoredResponse(out var stored))
        {
            writer.WritePropertyName(N.Response);
            stored.WriteTo(writer); // not a string: written back as it is
        }
        else
        {
            writer.WriteString(N.Response, response.Response);
        }

        if (response.Model is not null)
        {
            writer.WriteString(N.Model, response.Model);
        }

        if (response.Usage is { } usage)
        {
            writer.WriteStartObject(N.Usage);
            writer.WriteNumber(N.PromptTokens, usage.PromptTokens);
            writer.WriteNumber(N.CompletionTokens, usage.CompletionTokens);
            if (usage.Cost is { } cost)
            {
                writer.WriteNumber(N.Cost, cost);
            }

            if (usage.Currency is not null)
            {
                writer.WriteString(N.Currency, usage.Currency);
            }

            writer.WriteEndObject();
        }

        if (response.FinishReason is not null)
        {
            writer.WriteString(N.FinishReason, response.FinishReason);
        }

        if (response.RequestKey is not null)
        {
            writer.WriteString(N.RequestKey, response.RequestKey);
        }

        WriteAdditional(writer, response.AdditionalProperties, response, OwnedFieldNames.IsWrittenFor);
        writer.WriteEndObject();
    }

    private static void WriteTimestamp(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } timestamp)
        {
            Span<char> buffer = stackalloc char[40];
            timestamp.TryFormat(buffer, out var written, TimestampFormat, CultureInfo.InvariantCulture);
            writer.WriteString(name, buffer[..written]);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void WriteMap(Utf8JsonWriter writer, string name, IReadOnlyDictionary<string, JsonElement> values)
    {
        writer.WriteStartObject(name);
        WriteAdditional(writer, values, 0, static (_, _) => false);
        writer.WriteEndObject();
    }

    /// <summary>Writes fields the library does not interpret, except those named like one it has written in the same object.</summary>
    private static void WriteAdditional<TState>(
        Utf8JsonWriter writer, IReadOnlyDictionary<string, JsonElement> values, TState state, Func<TState, string, bool> owned)
    {
        foreach (var (key, value) in values)
        {
            if (owned(state, key))
            {
                continue;
            }

            writer.WritePropertyName(key);
            value.WriteTo(writer);
        }
    }
}
