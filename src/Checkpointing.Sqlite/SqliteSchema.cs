using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Checkpointing.Sqlite;

/// <summary>
/// The store's tables and their versioned migrations. Each migration runs once, inside the same <c>BEGIN IMMEDIATE</c>
/// transaction as its row in <c>schema_migrations(version, applied_at)</c>, so processes that start at the same time
/// migrate once and a crash mid-migration leaves the previous version.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>1</term><description><c>checkpoints(card_id, version, document, updated_at)</c>: the last compacted
/// document (the library's snake_case JSON) and the version after every change row;
/// <c>checkpoint_changes(card_id, version, change)</c>: one row per change since the document;
/// <c>card_owners(card_id, owner_id, acquired_at, expires_at)</c>: ownership leases.</description></item>
/// <item><term>2</term><description><c>checkpoints.document_bytes</c>, <c>change_bytes</c> and <c>change_count</c>, so a
/// save decides whether to compact without summing the change rows; filled in from the existing rows.</description></item>
/// <item><term>3</term><description>the document moves to <c>checkpoint_documents(card_id, document)</c>, since SQLite
/// rewrites a whole row on UPDATE: with the document beside the version counters every save copied it, so a save cost
/// grew with the history.</description></item>
/// <item><term>4</term><description><c>card_owners.owner_host</c>, <c>owner_pid</c>, <c>owner_start</c> and
/// <c>owner_scope</c>: the process that holds a lease, so a process on the same machine can take over at once a card whose
/// owner died. Rows written before (all <c>NULL</c>) keep the lease rule.</description></item>
/// <item><term>5</term><description><c>checkpoints.document_id</c> and <c>document_chunks</c>, and
/// <c>checkpoint_document_chunks(card_id, generation, chunk, data)</c>: a background fold writes the new document in
/// chunks over several short transactions, then switches to it in one (<see cref="SqliteDocumentFold"/>), so a save never
/// waits for a whole document to be written. <c>document_chunks = 0</c> (every row before) means the document is in
/// <c>checkpoint_documents</c>.</description></item>
/// </list>
/// </remarks>
internal static class SqliteSchema
{
    /// <summary>The newest schema version this code knows.</summary>
    public const int CurrentVersion = 5;

    private static readonly string[][] Migrations =
    [
        [
            """
            CREATE TABLE checkpoints (
                card_id    TEXT    NOT NULL PRIMARY KEY,
                version    INTEGER NOT NULL,
                document   TEXT    NOT NULL,
                updated_at TEXT    NOT NULL
            )
            """,
            """
            CREATE TABLE checkpoint_changes (
                card_id TEXT    NOT NULL,
                version INTEGER NOT NULL,
                change  TEXT    NOT NULL,
                PRIMARY KEY (card_id, version)
            )
            """,
            """
            CREATE TABLE card_owners (
                card_id     TEXT    NOT NULL PRIMARY KEY,
                owner_id    TEXT    NOT NULL,
                acquired_at INTEGER NOT NULL,
                expires_at  INTEGER NOT NULL
            )
            """,
        ],
        [
            "ALTER TABLE checkpoints ADD COLUMN document_bytes INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE checkpoints ADD COLUMN change_bytes INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE checkpoints ADD COLUMN change_count INTEGER NOT NULL DEFAULT 0",
            """
            UPDATE checkpoints SET
                document_bytes = length(CAST(document AS BLOB)),
                change_bytes = COALESCE((SELECT SUM(length(CAST(c.change AS BLOB))) FROM checkpoint_changes c WHERE c.card_id = checkpoints.card_id), 0),
                change_count = (SELECT COUNT(*) FROM checkpoint_changes c WHERE c.card_id = checkpoints.card_id)
            """,
        ],
        [
            """
            CREATE TABLE checkpoint_documents (
                card_id  TEXT NOT NULL PRIMARY KEY,
                document TEXT NOT NULL
            )
            """,
            "INSERT INTO checkpoint_documents (card_id, document) SELECT card_id, document FROM checkpoints",
            "ALTER TABLE checkpoints DROP COLUMN document",
        ],
        [
            "ALTER TABLE card_owners ADD COLUMN owner_host TEXT",
            "ALTER TABLE card_owners ADD COLUMN owner_pid INTEGER",
            "ALTER TABLE card_owners ADD COLUMN owner_start INTEGER",
            "ALTER TABLE card_owners ADD COLUMN owner_scope TEXT",
        ],
        [
            "ALTER TABLE checkpoints ADD COLUMN document_id INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE checkpoints ADD COLUMN document_chunks INTEGER NOT NULL DEFAULT 0",
            """
            CREATE TABLE checkpoint_document_chunks (
                card_id    TEXT    NOT NULL,
                generation INTEGER NOT NULL,
                chunk      INTEGER NOT NULL,
                data       BLOB    NOT NULL,
                PRIMARY KEY (card_id, generation, chunk)
            )
            """,
        ],
    ];

    /// <summary>Reads the schema version of a database: 0 when the store never ran on it.</summary>
    public static async Task<int> ReadVersionAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        using var exists = connection.CreateCommand();
        exists.Transaction = transaction;
        exists.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
        if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
        {
            return 0;
        }

        using var max = connection.CreateCommand();
        max.Transaction = transaction;
        max.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        return checked((int)Convert.ToInt64(await max.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture));
    }

    /// <summary>Brings a database up to <paramref name="targetVersion"/>, refusing one newer than this code.</summary>
    /// <returns>The version found and the version left.</returns>
    /// <exception cref="CheckpointVersionException">The database has a newer schema than <see cref="CurrentVersion"/>.</exception>
    public static async Task<(int From, int To)> MigrateAsync(
        SqliteConnection connection, string databasePath, int targetVersion, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, CurrentVersion);
        var found = await ReadVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
        EnsureKnown(found, databasePath);
        if (found >= targetVersion)
        {
            return (found, found);
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        found = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        EnsureKnown(found, databasePath);
        await ExecuteAsync(
            connection,
            transaction,
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)",
            cancellationToken).ConfigureAwait(false);
        for (var version = found + 1; version <= targetVersion; version++)
        {
            foreach (var statement in Migrations[version - 1])
            {
                await ExecuteAsync(connection, transaction, statement, cancellationToken).ConfigureAwait(false);
            }

            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_migrations (version, applied_at) VALUES ($version, $appliedAt)";
            record.Parameters.AddWithValue("$version", version);
            record.Parameters.AddWithValue("$appliedAt", timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        transaction.Commit();
        return (found, Math.Max(found, targetVersion));
    }

    private static void EnsureKnown(int found, string databasePath)
    {
        if (found > CurrentVersion)
        {
            throw new CheckpointVersionException(databasePath, found, CurrentVersion);
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
