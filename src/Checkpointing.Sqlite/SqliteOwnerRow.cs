using Microsoft.Data.Sqlite;

namespace Checkpointing.Sqlite;

/// <summary>The row of <c>card_owners</c> for a card; <see cref="Process"/> is <see langword="null"/> in rows written before schema 4.</summary>
internal sealed class SqliteOwnerRow(string ownerId, long expiresAt, OwnerProcess? process)
{
    private OwnerProcess.Liveness _liveness;

    public string OwnerId { get; } = ownerId;

    /// <summary>Gets when the lease runs out unless renewed, in Unix milliseconds.</summary>
    public long ExpiresAt { get; } = expiresAt;

    public OwnerProcess? Process { get; } = process;

    /// <summary>Reads the owner row of a card, if any.</summary>
    public static async Task<SqliteOwnerRow?> ReadAsync(
        SqliteConnection connection, SqliteTransaction transaction, string cardId, CancellationToken cancellationToken)
    {
        using var command = SqliteDatabase.Command(
            connection,
            transaction,
            "SELECT owner_id, expires_at, owner_host, owner_pid, owner_start, owner_scope FROM card_owners WHERE card_id = $card",
            ("$card", cardId));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            var process = reader.IsDBNull(2) || reader.IsDBNull(3)
                ? null
                : new OwnerProcess(reader.GetString(2), reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetString(5));
            return new SqliteOwnerRow(reader.GetString(0), reader.GetInt64(1), process);
        }
    }

    /// <summary>Tells whether this row holds the card at <paramref name="now"/>: unexpired, and its owner process not known to be gone.</summary>
    public async ValueTask<bool> HoldsAsync(long now, CancellationToken cancellationToken) =>
        ExpiresAt > now && await LivenessAsync(cancellationToken).ConfigureAwait(false) != OwnerProcess.Liveness.Dead;

    /// <summary>Checks whether the owner process still runs (kept for <see cref="Describe"/>); a row without a process is <see cref="OwnerProcess.Liveness.Unknown"/>.</summary>
    public async ValueTask<OwnerProcess.Liveness> LivenessAsync(CancellationToken cancellationToken) =>
        _liveness = Process is null ? OwnerProcess.Liveness.Unknown : await Process.CheckAsync(cancellationToken).ConfigureAwait(false);

    public string Describe() => Process?.Describe(_liveness) ?? $"owner '{OwnerId}'";
}
