using System.Collections.Frozen;
using N = Checkpointing.Json.CheckpointJsonNames;

namespace Checkpointing.Json;

/// <summary>
/// The fields the library writes itself in each kind of object. An additional (unknown) field with one of these names
/// is never written beside the library's own, which would make a document with a duplicate key that no load accepts.
/// </summary>
internal static class OwnedFieldNames
{
    /// <summary>Gets the top-level fields of a checkpoint document.</summary>
    public static FrozenSet<string> Document { get; } = FrozenSet.ToFrozenSet(
    [
        N.CheckpointId, N.CardId, N.Status, N.CreatedAt, N.UpdatedAt, N.CompletedStages, N.FailedStages, N.SkippedStages,
        N.CurrentStage, N.StageCheckpoints, N.ExecutionContext, N.TotalStages, N.StagesCompleted, N.TotalDurationSeconds,
        N.EstimatedRemainingSeconds, N.ResumeCount, N.LastResumeTime, N.Metadata, N.PendingLlmResponses, N.SchemaVersion,
        N.Version, N.JournalId,
    ], StringComparer.Ordinal);

    /// <summary>Gets the fields of a stage record.</summary>
    public static FrozenSet<string> Stage { get; } = FrozenSet.ToFrozenSet(
    [
        N.StageName, N.Status, N.StartTime, N.EndTime, N.DurationSeconds, N.Result, N.Artifacts, N.LlmResponses, N.ErrorMessage,
        N.RetryCount, N.Metadata,
    ], StringComparer.Ordinal);

    /// <summary>Tells whether the writer writes <paramref name="name"/> itself for <paramref name="response"/>.</summary>
    /// <remarks>
    /// A field the library could not interpret (a <c>model</c> that is a number, a <c>usage</c> of another shape) is kept
    /// as an additional field and written back as it was, unless the response now has a value of its own for it.
    /// </remarks>
    public static bool IsWrittenFor(LlmResponse response, string name) => name switch
    {
        N.Prompt or N.Response => true,
        N.Model => response.Model is not null,
        N.Usage => response.Usage is not null,
        N.FinishReason => response.FinishReason is not null,
        N.RequestKey => response.RequestKey is not null,
        _ => false,
    };
}
