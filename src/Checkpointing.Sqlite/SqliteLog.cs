using Microsoft.Extensions.Logging;

namespace Checkpointing.Sqlite;

/// <summary>Every log message of the SQLite store, source-generated.</summary>
internal static partial class SqliteLog
{
    [LoggerMessage(100, LogLevel.Information, "SQLite checkpoint database {Path}: schema migrated from version {From} to {To}")]
    public static partial void SchemaMigrated(ILogger logger, string path, int from, int to);

    [LoggerMessage(101, LogLevel.Warning, "SQLite checkpoint database {Path} is in journal mode {Mode}, not WAL; writers will block readers")]
    public static partial void NotWal(ILogger logger, string path, string mode);

    [LoggerMessage(102, LogLevel.Debug, "Card {CardId}: {Changes} change rows ({ChangeBytes} bytes) folded into a document of {DocumentBytes} bytes at version {Version}")]
    public static partial void Compacted(ILogger logger, string cardId, long changes, long changeBytes, long documentBytes, long version);

    [LoggerMessage(103, LogLevel.Warning, "Card {CardId}: took over ownership from {PreviousOwner}, whose lease expired {ExpiredMs} ms ago (its process died or froze)")]
    public static partial void LeaseTakenOver(ILogger logger, string cardId, string previousOwner, long expiredMs);

    [LoggerMessage(104, LogLevel.Information, "Card {CardId}: waited {WaitedMs:0} ms for ownership")]
    public static partial void LockWaited(ILogger logger, string cardId, double waitedMs);

    [LoggerMessage(105, LogLevel.Warning, "Card {CardId}: renewing the ownership lease failed; it is tried again")]
    public static partial void LeaseRenewalFailed(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(106, LogLevel.Error, "Card {CardId}: the ownership lease was lost (another owner {CurrentOwner} holds it); further writes by this owner are refused")]
    public static partial void LeaseLost(ILogger logger, string cardId, string currentOwner);

    [LoggerMessage(107, LogLevel.Warning, "Card {CardId}: releasing ownership failed; the lease runs out by itself")]
    public static partial void ReleaseFailed(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(108, LogLevel.Warning, "Card {CardId}: took over ownership from {PreviousOwner}, whose process on this machine is gone (its lease had {RemainingMs} ms left)")]
    public static partial void DeadOwnerTakenOver(ILogger logger, string cardId, string previousOwner, long remainingMs);

    [LoggerMessage(109, LogLevel.Warning, "Card {CardId}: folding the change rows into a new document failed; every change is still stored, and the fold is tried again after the next save")]
    public static partial void FoldFailed(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(110, LogLevel.Debug, "Card {CardId}: a fold at version {Version} was dropped because the document was replaced or the card deleted meanwhile")]
    public static partial void FoldAbandoned(ILogger logger, string cardId, long version);

    [LoggerMessage(111, LogLevel.Debug, "SQLite checkpoint database {Path}: {Checkpointed} of {LogFrames} log frames copied into the database in the background (blocked by a reader or writer: {Busy})")]
    public static partial void WalCheckpointed(ILogger logger, string path, long checkpointed, long logFrames, bool busy);

    [LoggerMessage(112, LogLevel.Warning, "SQLite checkpoint database {Path}: a background WAL checkpoint failed; every commit is still in the log, and it is tried again after the next writes")]
    public static partial void WalCheckpointFailed(ILogger logger, string path, Exception exception);
}
