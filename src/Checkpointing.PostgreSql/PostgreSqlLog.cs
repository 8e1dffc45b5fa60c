using Microsoft.Extensions.Logging;

namespace Checkpointing.PostgreSql;

/// <summary>Every log message of the PostgreSQL store, source-generated.</summary>
internal static partial class PostgreSqlLog
{
    [LoggerMessage(100, LogLevel.Information, "Schema {Schema}: applied migration {Version} ({Description})")]
    public static partial void MigrationApplied(ILogger logger, string schema, int version, string description);

    [LoggerMessage(101, LogLevel.Debug, "Card {CardId}: lease taken by worker {WorkerId} with fencing token {Token}, expires {ExpiresAt:o} (database clock)")]
    public static partial void LeaseAcquired(ILogger logger, string cardId, string workerId, long token, DateTimeOffset expiresAt);

    [LoggerMessage(102, LogLevel.Information, "Card {CardId}: claimed by worker {WorkerId} with fencing token {Token}")]
    public static partial void CardClaimed(ILogger logger, string cardId, string workerId, long token);

    [LoggerMessage(103, LogLevel.Warning, "Card {CardId}: renewing the lease of token {Token} failed; it is retried until the lease expires")]
    public static partial void LeaseRenewalFailed(ILogger logger, string cardId, long token, Exception exception);

    [LoggerMessage(104, LogLevel.Warning, "Card {CardId}: the lease of token {Token} was lost (the card's token moved on); writes under it are refused")]
    public static partial void LeaseLost(ILogger logger, string cardId, long token);

    [LoggerMessage(105, LogLevel.Warning, "Card {CardId}: releasing the lease of token {Token} failed; it expires on its own")]
    public static partial void LeaseReleaseFailed(ILogger logger, string cardId, long token, Exception exception);

    [LoggerMessage(106, LogLevel.Debug, "Card {CardId}: lease of token {Token} released")]
    public static partial void LeaseReleased(ILogger logger, string cardId, long token);

    [LoggerMessage(107, LogLevel.Information, "Card {CardId}: waited {WaitedMs:0} ms for another owner's lease")]
    public static partial void LeaseWaited(ILogger logger, string cardId, double waitedMs);

    [LoggerMessage(108, LogLevel.Debug, "Card {CardId}: folded {ChangeBytes} bytes of change rows into a {DocumentBytes}-byte document (version {Version})")]
    public static partial void Compacted(ILogger logger, string cardId, long changeBytes, long documentBytes, long version);

    [LoggerMessage(109, LogLevel.Warning, "Card {CardId}: folding the change rows into a new document failed; every change is still stored, and the fold is tried again after the next save")]
    public static partial void FoldFailed(ILogger logger, string cardId, Exception exception);

    [LoggerMessage(110, LogLevel.Debug, "Card {CardId}: a fold at version {Version} was dropped because the document was replaced or the card deleted meanwhile")]
    public static partial void FoldDropped(ILogger logger, string cardId, long version);
}
