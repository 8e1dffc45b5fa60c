using Microsoft.Extensions.Logging;

namespace Checkpointing;

/// <summary>Every log message of the library, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Created checkpoint {CheckpointId} for card {CardId} with {TotalStages} stages (version {Version})")]
    public static partial void CheckpointCreated(ILogger logger, string checkpointId, string cardId, int totalStages, long version);

    [LoggerMessage(2, LogLevel.Information, "Card {CardId}: stage {StageName} saved as {Status} in {DurationMs:0} ms (retry {RetryCount}, {ResponseCount} LLM responses)")]
    public static partial void StageSaved(ILogger logger, string cardId, string stageName, StageStatus status, double durationMs, int retryCount, int responseCount);

    [LoggerMessage(3, LogLevel.Information, "Card {CardId} resumed (resume #{ResumeCount}): {Completed} stages completed, {CachedResponses} LLM responses cached")]
    public static partial void Resumed(ILogger logger, string cardId, int resumeCount, int completed, int cachedResponses);

    [LoggerMessage(4, LogLevel.Information, "Card {CardId} cannot be resumed: {Reason}")]
    public static partial void NotResumable(ILogger logger, string cardId, string reason);

    [LoggerMessage(5, LogLevel.Error, "Card {CardId} has a stored checkpoint that cannot be read; it is left untouched")]
    public static partial void UnreadableCheckpoint(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Card {CardId} marked {Status}")]
    public static partial void StatusChanged(ILogger logger, string cardId, CheckpointStatus status);

    [LoggerMessage(7, LogLevel.Information, "Card {CardId}: checkpoint cleared")]
    public static partial void Cleared(ILogger logger, string cardId);

    [LoggerMessage(8, LogLevel.Debug, "Card {CardId}: LLM cache {Outcome} for stage {StageName}")]
    public static partial void CacheLookup(ILogger logger, string cardId, string stageName, string outcome);

    [LoggerMessage(12, LogLevel.Warning, "Card {CardId}: releasing ownership failed; a lease is left to expire, a file lock is released by the OS")]
    public static partial void ReleaseFailed(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(20, LogLevel.Warning, "Journal {Path}: cut a torn tail of {Bytes} bytes at offset {Offset} left by a crash mid-append")]
    public static partial void TornTailCut(ILogger logger, string path, long bytes, long offset);

    [LoggerMessage(21, LogLevel.Information, "Removed orphaned temporary file {Path} left by a crash")]
    public static partial void TempFileRemoved(ILogger logger, string path);

    [LoggerMessage(22, LogLevel.Information, "Card {CardId}: waited {WaitedMs:0} ms for the lock {Path}")]
    public static partial void LockWaited(ILogger logger, string cardId, string path, double waitedMs);

    [LoggerMessage(23, LogLevel.Debug, "Card {CardId}: compacted {Records} journal bytes into a {SnapshotBytes}-byte snapshot (version {Version})")]
    public static partial void Compacted(ILogger logger, string cardId, long records, long snapshotBytes, long version);

    [LoggerMessage(24, LogLevel.Warning, "Card {CardId}: compaction after a durable change failed; the journal still holds every change and is folded by a later compaction")]
    public static partial void CompactionFailed(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(25, LogLevel.Information, "Journal {Path} belongs to an earlier snapshot generation and is ignored; it is replaced on the next write")]
    public static partial void StaleJournalIgnored(ILogger logger, string path);

    [LoggerMessage(13, LogLevel.Information, "Card {CardId}: its run completed (version {Version}, {Completed} stages) and is kept as it is; nothing runs again. CreateCheckpointAsync, or CompletedRuns = Restart, starts a new run")]
    public static partial void CompletedRunKept(ILogger logger, string cardId, long version, int completed);

    [LoggerMessage(14, LogLevel.Information, "Card {CardId}: its run completed (version {Version}); starting a new run because CompletedRuns is Restart")]
    public static partial void CompletedRunRestarted(ILogger logger, string cardId, long version);

    [LoggerMessage(15, LogLevel.Warning, "Card {CardId}: the store was disposed before this manager, so nothing was compacted; every change is already stored. Dispose the manager before its store")]
    public static partial void StoreDisposedFirst(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(16, LogLevel.Warning, "Card {CardId}: stage {StageName}'s fingerprint changed from '{Stored}' to '{Requested}', but the run is completed and kept as it is, so the stored result is returned. Start a new run (CreateCheckpointAsync, or CompletedRuns = Restart) to run it again")]
    public static partial void FingerprintIgnoredInCompletedRun(ILogger logger, string cardId, string stageName, string? stored, string requested);

    [LoggerMessage(10, LogLevel.Warning, "Card {CardId}: stage {StageName} failed")]
    public static partial void StageFailed(ILogger logger, string cardId, string stageName, Exception exception);

    [LoggerMessage(11, LogLevel.Information, "Card {CardId}: completed stage {StageName} runs again because {Reason}")]
    public static partial void StageRerun(ILogger logger, string cardId, string stageName, string reason);
}
