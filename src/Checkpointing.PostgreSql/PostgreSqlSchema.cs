using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkpointing.PostgreSql;

/// <summary>
/// The store's tables and their versioned migrations. Each migration runs once, in order, inside one transaction that
/// holds a transaction-scoped advisory lock keyed by the schema name, so workers that start at once migrate it once.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item><b>1</b>: <c>checkpoints</c> (one row per card: version, status, the compacted document as <c>json</c> and the version
/// it is at) and <c>checkpoint_changes</c> (one row per change since: a stage record, an LLM response, a status, ...).</item>
/// <item><b>2</b>: fleet ownership: owner, lease expiry (database clock) and fencing token columns; rows without a document
/// that keep a card's lease and token across deletes; byte counts that decide when changes are folded into the document,
/// back-filled for existing rows; and an index of claimable cards.</item>
/// <item><b>3</b>: documents move to <c>checkpoint_documents(card_id, generation, document)</c>, and
/// <c>checkpoints.document_generation</c> names the card's current one (<c>NULL</c>: no document). A background fold writes
/// its new document as a row of a new generation while saves go on, then switches to it in one short fenced statement
/// (<see cref="PostgreSqlDocumentFold"/>); the generation is also the identity that tells the switch whether a whole save,
/// import, delete or other fold replaced the document meanwhile. Existing documents become generation 0.</item>
/// <item><b>4</b>: a fold writes its document as <c>checkpoint_document_chunks(card_id, generation, chunk, data bytea)</c>,
/// ~1 MiB per row and one short statement each, so a save that commits meanwhile waits behind at most one chunk's WAL, not
/// the whole document's; <c>checkpoints.document_chunks</c> says how many (0: the document is a row of
/// <c>checkpoint_documents</c>, as whole saves and imports still write it, and as every document stored before schema 4
/// stays, readable as it was).</item>
/// </list>
/// <c>json</c>, not <c>jsonb</c>: it keeps the codec's bytes exactly (key order, numbers as written) and accepts <c>\u0000</c>,
/// which LLM output can contain and <c>jsonb</c> refuses; the store never queries inside documents.
/// </remarks>
internal sealed partial class PostgreSqlSchema
{
    /// <summary>The newest migration this code knows.</summary>
    public const int LatestVersion = 4;

    /// <summary>The statuses of runs that can be resumed, as SQL; a test pins them to <see cref="CheckpointStatusExtensions.IsResumable"/>.</summary>
    internal const string ResumableStatuses = "('active', 'paused', 'resumed', 'failed')";

    public PostgreSqlSchema(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IdentifierPattern().IsMatch(name))
        {
            throw new ArgumentException(
                $"Schema name '{name}' is not a plain PostgreSQL identifier: use a letter or '_', then letters, digits or '_', at most 63 characters.",
                nameof(name));
        }

        Name = name;
        Quoted = "\"" + name + "\"";
        Checkpoints = Quoted + ".checkpoints";
        Changes = Quoted + ".checkpoint_changes";
        Documents = Quoted + ".checkpoint_documents";
        DocumentChunks = Quoted + ".checkpoint_document_chunks";
        Migrations = Quoted + ".schema_migrations";
        AdvisoryLockKey = Fnv1a64("Checkpointing.PostgreSql/migrate/" + name);
    }

    /// <summary>Gets the schema name.</summary>
    public string Name { get; }

    /// <summary>Gets the schema name, quoted for SQL.</summary>
    public string Quoted { get; }

    /// <summary>Gets the qualified name of the table of checkpoints.</summary>
    public string Checkpoints { get; }

    /// <summary>Gets the qualified name of the table of change rows.</summary>
    public string Changes { get; }

    /// <summary>Gets the qualified name of the table of documents (one row per generation; the card's row names the current one).</summary>
    public string Documents { get; }

    /// <summary>Gets the qualified name of the table of folded documents' chunks (one row per chunk of a generation).</summary>
    public string DocumentChunks { get; }

    /// <summary>Gets the qualified name of the table of applied migrations.</summary>
    public string Migrations { get; }

    /// <summary>Gets the key of the advisory lock migrations take.</summary>
    public long AdvisoryLockKey { get; }

    /// <summary>Gets the migrations, in order.</summary>
    public IReadOnlyList<(int Version, string Description, string Sql)> All =>
    [
        (1, "checkpoints and change rows", $"""
            CREATE TABLE {Checkpoints} (
                card_id text PRIMARY KEY,
                version bigint NOT NULL,
                status text NOT NULL,
                document json NOT NULL,
                document_version bigint NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE {Changes} (
                card_id text NOT NULL REFERENCES {Checkpoints} (card_id) ON DELETE CASCADE,
                version bigint NOT NULL,
                kind text NOT NULL,
                stage_name text,
                change json NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (card_id, version)
            );
            """),
        (2, "fleet ownership: leases, fencing tokens, compaction sizes", $"""
            ALTER TABLE {Checkpoints}
                ALTER COLUMN status DROP NOT NULL,
                ALTER COLUMN document DROP NOT NULL,
                ALTER COLUMN version SET DEFAULT 0,
                ALTER COLUMN document_version SET DEFAULT 0,
                ADD COLUMN document_bytes bigint NOT NULL DEFAULT 0,
                ADD COLUMN changes_bytes bigint NOT NULL DEFAULT 0,
                ADD COLUMN fencing_token bigint NOT NULL DEFAULT 0,
                ADD COLUMN owner_id text,
                ADD COLUMN lease_expires_at timestamptz;
            UPDATE {Checkpoints} c SET
                document_bytes = octet_length(c.document::text),
                changes_bytes = coalesce((
                    SELECT sum(octet_length(ch.change::text)) FROM {Changes} ch
                    WHERE ch.card_id = c.card_id AND ch.version > c.document_version), 0);
            CREATE INDEX checkpoints_claimable ON {Checkpoints} ((owner_id IS NULL), updated_at, card_id)
                WHERE document IS NOT NULL AND status IN {ResumableStatuses};
            """),
        (3, "documents by generation, so a background fold switches without rewriting the card's row", $"""
            CREATE TABLE {Documents} (
                card_id text NOT NULL,
                generation bigint NOT NULL,
                document json NOT NULL,
                PRIMARY KEY (card_id, generation)
            );
            ALTER TABLE {Checkpoints} ADD COLUMN document_generation bigint;
            INSERT INTO {Documents} (card_id, generation, document) SELECT card_id, 0, document FROM {Checkpoints} WHERE document IS NOT NULL;
            UPDATE {Checkpoints} SET document_generation = 0 WHERE document IS NOT NULL;
            DROP INDEX IF EXISTS {Quoted}.checkpoints_claimable;
            ALTER TABLE {Checkpoints} DROP COLUMN document;
            CREATE INDEX checkpoints_claimable ON {Checkpoints} ((owner_id IS NULL), updated_at, card_id)
                WHERE document_generation IS NOT NULL AND status IN {ResumableStatuses};
            """),
        (4, "folded documents in chunks, so a fold's WAL comes one short statement at a time", $"""
            CREATE TABLE {DocumentChunks} (
                card_id text NOT NULL,
                generation bigint NOT NULL,
                chunk integer NOT NULL,
                data bytea NOT NULL,
                PRIMARY KEY (card_id, generation, chunk)
            );
            ALTER TABLE {Checkpoints} ADD COLUMN document_chunks integer NOT NULL DEFAULT 0;
            """),
    ];

    /// <summary>Reads the applied schema version without locking: 0 when the store's tables do not exist yet.</summary>
    public async Task<int> ReadVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using (var exists = new NpgsqlCommand("SELECT to_regclass(@name) IS NOT NULL", connection))
        {
            exists.Parameters.AddWithValue("name", Migrations);
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return 0;
            }
        }

        using var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {Migrations}", connection);
        return (int)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Brings the schema to <paramref name="targetVersion"/> (creating it if missing), holding the advisory lock.
    /// </summary>
    /// <returns>The version the schema is at afterwards.</returns>
    /// <exception cref="CheckpointVersionException">The schema is newer than this code knows.</exception>
    public async Task<int> MigrateAsync(
        NpgsqlConnection connection, int targetVersion, Func<int, CheckpointVersionException> newer, ILogger logger, CancellationToken cancellationToken)
    {
        var current = await ReadVersionAsync(connection, cancellationToken).ConfigureAwait(false);
        if (current > LatestVersion)
        {
            throw newer(current);
        }

        if (current >= targetVersion)
        {
            return current;
        }

        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        await using var transactionScope = transaction.ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", cancellationToken).ConfigureAwait(false);

        // Checked before CREATE ... IF NOT EXISTS, which needs the CREATE privilege even when the object exists.
        using (var schemaExists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @name)", connection, transaction))
        {
            schemaExists.Parameters.AddWithValue("name", Name);
            if (!(bool)(await schemaExists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                await ExecuteAsync(connection, transaction, $"CREATE SCHEMA {Quoted}", cancellationToken).ConfigureAwait(false);
            }
        }

        current = await ReadVersionAsync(connection, cancellationToken).ConfigureAwait(false);
        if (current == 0)
        {
            await ExecuteAsync(connection, transaction, $"""
                CREATE TABLE IF NOT EXISTS {Migrations} (
                    version integer PRIMARY KEY,
                    description text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken).ConfigureAwait(false);
        }

        if (current > LatestVersion)
        {
            throw newer(current);
        }

        foreach (var (version, description, sql) in All)
        {
            if (version <= current || version > targetVersion)
            {
                continue;
            }

            await ExecuteAsync(connection, transaction, sql, cancellationToken).ConfigureAwait(false);
            using var record = new NpgsqlCommand($"INSERT INTO {Migrations} (version, description) VALUES (@version, @description)", connection, transaction);
            record.Parameters.AddWithValue("version", version);
            record.Parameters.AddWithValue("description", description);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            PostgreSqlLog.MigrationApplied(logger, Name, version, description);
            current = version;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return current;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static long Fnv1a64(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        return unchecked((long)hash);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();
}
