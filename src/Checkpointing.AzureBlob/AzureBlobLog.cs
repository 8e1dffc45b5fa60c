using Microsoft.Extensions.Logging;

namespace Checkpointing.AzureBlob;

/// <summary>Every log message of the Azure Blob store, source-generated.</summary>
internal static partial class AzureBlobLog
{
    [LoggerMessage(300, LogLevel.Debug, "Card {CardId}: journal of {JournalBytes} bytes folded into a snapshot of {SnapshotBytes} bytes at version {Version}")]
    public static partial void Compacted(ILogger logger, string cardId, long journalBytes, long snapshotBytes, long version);

    [LoggerMessage(301, LogLevel.Warning, "Card {CardId}: compaction failed; the journal still holds every change and the next write reloads the card")]
    public static partial void CompactionFailed(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(302, LogLevel.Information, "Card {CardId}: waited {WaitedMs:0} ms for the lease on {Blob}")]
    public static partial void LockWaited(ILogger logger, string cardId, string blob, double waitedMs);

    [LoggerMessage(303, LogLevel.Warning, "Card {CardId}: renewing the lease failed; it is tried again")]
    public static partial void LeaseRenewalFailed(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(304, LogLevel.Error, "Card {CardId}: the lease on {Blob} was lost (it expired and another owner took it); further writes by this owner are refused")]
    public static partial void LeaseLost(ILogger logger, string cardId, string blob);

    [LoggerMessage(305, LogLevel.Warning, "Card {CardId}: releasing the lease failed; it runs out by itself")]
    public static partial void ReleaseFailed(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(306, LogLevel.Warning, "Card {CardId}: a write to {Blob} whose outcome was unknown ({Reason}) was read back: it {Outcome}")]
    public static partial void OutcomeResolved(ILogger logger, string cardId, string blob, string reason, string outcome);

    [LoggerMessage(307, LogLevel.Warning, "Card {CardId}: a write to {Blob} failed with an unknown outcome; the card is read again before the next write")]
    public static partial void OutcomeUnknown(ILogger logger, string cardId, string blob, Exception exception);

    [LoggerMessage(308, LogLevel.Information, "Card {CardId}: journal {Blob} belongs to an earlier generation and is ignored; the next change starts a new one")]
    public static partial void StaleJournalIgnored(ILogger logger, string cardId, string blob);
}
