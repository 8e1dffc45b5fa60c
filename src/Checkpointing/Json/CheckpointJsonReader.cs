using System.Collections.Immutable;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Checkpointing.Models;
using N = Checkpointing.Json.CheckpointJsonNames;
using static Checkpointing.Json.JsonFields;

namespace Checkpointing.Json;

/// <summary>
/// Reads checkpoint documents (ours and the Python manager's) strictly: every known field is type-checked, duplicate
/// keys and over-deep nesting are refused, unknown fields are kept, and naive timestamps are read as local time.
/// </summary>
internal static partial class CheckpointJsonReader
{
    /// <summary>The number of stage records from which they are read in parallel.</summary>
    private const int ParallelReadThreshold = 64;

    /// <summary>Reads a whole checkpoint document.</summary>
    public static SnapshotDocument ReadSnapshot(ReadOnlyMemory<byte> utf8, in JsonReadContext context)
    {
        // Deferred LLM texts refer to utf8, not to the parsed document: it goes back to the pool at once.
        var document = Parse(utf8, context, change: false, out var texts);
        try
        {
            return ReadSnapshot(document.RootElement, context with { Texts = texts });
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException)
        // Stryker disable once Block,Statement,String : defensive: every string is checked decodable before, and the records' own errors are caught there
        {
            // Stryker disable once Statement,String : the same defensive throw
            throw context.Unreadable("document", ex);
        }
        finally
        // Stryker disable once Block,Statement : returns pooled memory only
        {
            // Stryker disable once Statement : returns pooled memory only
            document.Dispose();
            // Stryker disable once Statement : returns pooled memory only
            texts?.Dispose();
        }
    }

    /// <summary>Reads a whole checkpoint from a parsed document.</summary>
    public static SnapshotDocument ReadSnapshot(JsonElement root, in JsonReadContext context)
    {
        RequireKind(root, JsonValueKind.Object, "document", "an object", context);
        // Stryker disable once String : on .NET 9 and later the path names nothing (only a duplicate key, which the parser refuses first)
        var fields = new FieldSet(context, "document");
        string? checkpointId = null, cardId = null, currentStage = null, journalId = null;
        // Fields every writer (this library's and the Python manager's) always writes are required: a default for a
        // missing one would change what runs (a completed run read as active runs again), so it is damage, not absence.
        CheckpointStatus? status = null;
        DateTimeOffset? createdAt = null, updatedAt = null, lastResume = null;
        IReadOnlyList<string>? completed = null;
        IReadOnlyList<string> failed = ImmutableList<string>.Empty, skipped = failed;
        StageCheckpointMap? stages = null;
        IReadOnlyDictionary<string, JsonElement> executionContext = ImmutableDictionary<string, JsonElement>.Empty, metadata = executionContext;
        var pending = ImmutableDictionary<string, IReadOnlyList<LlmResponse>>.Empty;
        int totalStages = 0, resumeCount = 0;
        TimeSpan totalDuration = default, remaining = default;
        long version = 0;
        long? schemaVersion = null;

        foreach (var property in root.EnumerateObject())
        {
            var name = property.Name;
            var value = property.Value;
            // Stryker disable once Statement : a no-op on .NET 9 and later, where the parser refuses duplicate keys
            fields.Add(name);
            switch (name)
            {
                case N.SchemaVersion: schemaVersion = GetInt64(value, name, context); break;
                case N.Version: version = GetVersion(value, name, context); break;
                case N.JournalId: journalId = GetNullableString(value, name, context); break;
                case N.CheckpointId: checkpointId = GetString(value, name, context); break;
                case N.CardId: cardId = GetString(value, name, context); break;
                case N.Status: status = ParseCheckpointStatus(GetString(value, name, context), name, context); break;
                case N.CreatedAt: createdAt = GetTimestamp(value, name, context); break;
                case N.UpdatedAt: updatedAt = GetTimestamp(value, name, context); break;
                case N.CompletedStages: completed = GetStageNames(value, name, context); break;
                case N.FailedStages: failed = GetStageNames(value, name, context); break;
                case N.SkippedStages: skipped = GetStageNames(value, name, context); break;
                case N.CurrentStage: currentStage = GetNullableStageName(value, name, context); break;
                case N.StageCheckpoints: stages = ReadStages(value, context); break;
                case N.ExecutionContext: executionContext = GetMap(value, name, context); break;
                case N.TotalStages: totalStages = GetCounter(value, name, context); break;
                case N.StagesCompleted: GetInt32(value, name, context); break;
                case N.TotalDurationSeconds: totalDuration = GetSeconds(value, name, context); break;
                case N.EstimatedRemainingSeconds: remaining = GetSeconds(value, name, context); break;
                case N.ResumeCount: resumeCount = GetCounter(value, name, context); break;
                case N.LastResumeTime: lastResume = GetNullableTimestamp(value, name, context); break;
                case N.Metadata: metadata = GetMap(value, name, context); break;
                case N.PendingLlmResponses: pending = ReadPending(value, context); break;
                default: fields.AddUnknown(name, value); break;
            }
        }

        if (schemaVersion > N.CurrentSchemaVersion)
        {
            throw new CheckpointVersionException(context.File, schemaVersion.Value, N.CurrentSchemaVersion);
        }

        var checkpoint = new PipelineCheckpoint
        {
            CheckpointId = checkpointId ?? throw context.Corrupt(N.CheckpointId, "required field is missing"),
            CardId = cardId ?? throw context.Corrupt(N.CardId, "required field is missing"),
            Status = status ?? throw context.Corrupt(N.Status, "required field is missing"),
            CreatedAt = createdAt ?? throw context.Corrupt(N.CreatedAt, "required field is missing"),
            UpdatedAt = updatedAt ?? throw context.Corrupt(N.UpdatedAt, "required field is missing"),
            CompletedStages = completed ?? throw context.Corrupt(N.CompletedStages, "required field is missing"),
            FailedStages = failed,
            SkippedStages = skipped,
            CurrentStage = currentStage,
            StageCheckpoints = stages ?? throw context.Corrupt(N.StageCheckpoints, "required field is missing"),
            ExecutionContext = executionContext,
            TotalStages = totalStages,
            TotalDuration = totalDuration,
            EstimatedRemaining = remaining,
            ResumeCount = resumeCount,
            LastResumeTime = lastResume,
            Metadata = metadata,
            PendingLlmResponses = pending,
            Version = version,
            AdditionalProperties = fields.Unknown,
        };
        try
        {
            // Summed once now, checked, so that a later save cannot fail on durations this load accepted.
            _ = checkpoint.CompletedTicks;
        }
        catch (OverflowException ex)
        {
            throw new CheckpointCorruptedException(context.File, context.Offset, "the completed stages' durations sum past what a TimeSpan holds", ex);
        }

        return new SnapshotDocument(checkpoint, journalId);
    }

    /// <summary>Reads one stage record.</summary>
    public static StageCheckpoint ReadStage(JsonElement element, string path, in JsonReadContext context)
    {
        RequireKind(element, JsonValueKind.Object, path, "an object", context);
        var fields = new FieldSet(context, path);
        string? stageName = null, errorMessage = null;
        StageStatus? status = null;
        DateTimeOffset startTime = default;
        DateTimeOffset? endTime = null;
        TimeSpan duration = default;
        JsonElement? result = null;
        IReadOnlyList<string> artifacts = ImmutableList<string>.Empty;
        IReadOnlyList<LlmResponse> responses = ImmutableList<LlmResponse>.Empty;
        IReadOnlyDictionary<string, JsonElement> metadata = ImmutableDictionary<string, JsonElement>.Empty;
        var retryCount = 0;
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            var value = property.Value;
            var field = path + "." + name;
            // Stryker disable once Statement : a no-op on .NET 9 and later, where the parser refuses duplicate keys
            fields.Add(name);
            switch (name)
            {
                case N.StageName: stageName = GetStageName(value, field, context); break;
                case N.Status: status = ParseStageStatus(GetString(value, field, context), field, context); break;
                case N.StartTime: startTime = GetNullableTimestamp(value, field, context) ?? default; break;
                case N.EndTime: endTime = GetNullableTimestamp(value, field, context); break;
                case N.DurationSeconds: duration = GetSeconds(value, field, context); break;
                case N.Result: result = value.ValueKind == JsonValueKind.Null ? null : value.Clone(); break;
                case N.Artifacts: artifacts = GetStrings(value, field, context); break;
                case N.LlmResponses: responses = ReadResponses(value, field, context); break;
                case N.ErrorMessage: errorMessage = GetNullableString(value, field, context); break;
                case N.RetryCount: retryCount = GetCounter(value, field, context); break;
                case N.Metadata: metadata = GetMap(value, field, context); break;
                default: fields.AddUnknown(name, value); break;
            }
        }

        StageMetadataRules.Validate(metadata, path + "." + N.Metadata, context);
        return new StageCheckpoint
        {
            StageName = stageName ?? throw context.Corrupt(path + "." + N.StageName, "required field is missing"),
            Status = status ?? throw context.Corrupt(path + "." + N.Status, "required field is missing"),
            StartTime = startTime,
            EndTime = endTime,
            Duration = duration,
            Result = result,
            Artifacts = artifacts,
            LlmResponses = responses,
            ErrorMessage = errorMessage,
            RetryCount = retryCount,
            Metadata = metadata,
            AdditionalProperties = fields.Unknown,
        };
    }

    /// <summary>Parses a stored checkpoint status.</summary>
    public static CheckpointStatus ParseCheckpointStatus(string value, string field, in JsonReadContext context) =>
        StatusNames.TryParse(value, out CheckpointStatus status) ? status : throw context.Corrupt(field, $"unknown checkpoint status '{value}'");

    private static StageStatus ParseStageStatus(string value, string field, in JsonReadContext context) =>
        StatusNames.TryParse(value, out StageStatus status)
            ? status
            : throw context.Corrupt(field, $"unknown stage status '{value}' (expected completed, failed or skipped)");

    /// <summary>
    /// Reads the stage records. Large documents are read on all cores (a parsed document is safe to read
    /// concurrently); the records keep document order and the first error in document order is the one raised.
    /// </summary>
    private static StageCheckpointMap ReadStages(JsonElement value, in JsonReadContext context)
    {
        RequireKind(value, JsonValueKind.Object, N.StageCheckpoints, "an object", context);
        var fields = new FieldSet(context, N.StageCheckpoints);
        var properties = new List<JsonProperty>();
        foreach (var property in value.EnumerateObject())
        {
            // Stryker disable once Statement : a no-op on .NET 9 and later, where the parser refuses duplicate keys
            fields.Add(property.Name);
            RequireStageNameKey(property.Name, N.StageCheckpoints, context);
            properties.Add(property);
        }

        var stages = new StageCheckpoint[properties.Count];
        var errors = new Exception?[properties.Count];
        var readContext = context;
        void Read(int i)
        {
            try
            {
                var property = properties[i];
                var stage = ReadStage(property.Value, N.StageCheckpoints + "." + property.Name, readContext);
                stages[i] = stage.StageName == property.Name ? stage : stage with { StageName = property.Name };
            }
            catch (Exception ex) when (ex is CheckpointException or InvalidOperationException or FormatException or OverflowException)
            {
                errors[i] = ex is CheckpointException ? ex : readContext.Unreadable(N.StageCheckpoints + "." + properties[i].Name, ex);
            }
        }

        if (properties.Count >= ParallelReadThreshold)
        {
            Parallel.For(0, properties.Count, Read);
        }
        else
        {
            for (var i = 0; i < properties.Count; i++)
            {
                Read(i);
            }
        }

        if (Array.Find(errors, e => e is not null) is { } first)
        {
            ExceptionDispatchInfo.Throw(first);
        }

        return StageCheckpointMap.From(stages);
    }

    private static void RequireStageNameKey(string name, string field, in JsonReadContext context)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw context.Corrupt($"{field}.\"{name}\"", "a stage name is empty or white space");
        }
    }

}
