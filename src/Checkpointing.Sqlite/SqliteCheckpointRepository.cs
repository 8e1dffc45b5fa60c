using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Checkpointing.Sqlite;

/// <summary>
/// Checkpoints in one SQLite database file, shared safely by every process on the machine that opens it.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Durable and atomic: WAL journal, <c>synchronous=FULL</c> (every commit is fsync'd before the call returns),
/// and every write is one <c>BEGIN IMMEDIATE</c> transaction, so a crash leaves the old or the new state.</item>
/// <item>A save costs what the change costs: <see cref="SaveChangeAsync"/> inserts one row into
/// <c>checkpoint_changes</c> and bumps the version column of <c>checkpoints</c>. The change rows are folded into the
/// stored document when they outgrow it, and on <see cref="CompactAsync"/>.</item>
/// <item>Busy handling waits: a writer blocked by another connection waits up to
/// <see cref="SqliteCheckpointRepositoryOptions.BusyTimeout"/> (SQLite's <c>busy_timeout</c>) instead of failing.</item>
/// <item>The store creates and migrates its own schema (<c>schema_migrations</c>) on first use, and refuses a database
/// whose schema is newer than this code with <see cref="CheckpointVersionException"/>.</item>
/// <item>One owner per card: <see cref="AcquireOwnershipAsync"/> writes a lease row to <c>card_owners</c>, renewed in the
/// background while held and deleted on dispose. A crashed owner stops renewing, so its card is free again after
/// <see cref="SqliteCheckpointRepositoryOptions.LeaseDuration"/>. Each repository instance is its own owner: writes
/// through another instance (or process) are refused with <see cref="CheckpointLockedException"/> while a live lease is
/// held, and so are writes of an owner whose lease ran out and was taken over.</item>
/// <item>Documents and changes are stored as the library's JSON (<see cref="CheckpointJson"/>).</item>
/// </list>
/// </remarks>
public sealed partial class SqliteCheckpointRepository : ICheckpointRepository, IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<string, Lease> _leases = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private readonly SqliteCheckpointRepositoryOptions _options;
    private readonly ILogger _logger;
    private readonly string _connectionString;
    private readonly bool _readOnly;
    private volatile bool _schemaReady;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="SqliteCheckpointRepository"/> class.</summary>
    /// <param name="connectionStringOrPath">
    /// A database file path (created if missing; its directory must exist) or a Microsoft.Data.Sqlite connection string
    /// (<c>Data Source=checkpoints.db</c>).
    /// </param>
    /// <exception cref="ArgumentException">The value is empty, or names an in-memory database, which cannot be shared.</exception>
    public SqliteCheckpointRepository(string connectionStringOrPath)
        : this(connectionStringOrPath, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SqliteCheckpointRepository"/> class.</summary>
    /// <param name="connectionStringOrPath">A database file path or a Microsoft.Data.Sqlite connection string.</param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where migrations, lease take-overs and compactions are logged.</param>
    /// <exception cref="ArgumentException">The value is empty, or names an in-memory database, which cannot be shared.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public SqliteCheckpointRepository(string connectionStringOrPath, SqliteCheckpointRepositoryOptions? options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionStringOrPath);
        _options = options ?? new SqliteCheckpointRepositoryOptions();
        _options.Validate();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SqliteCheckpointRepository>();
        var builder = ParseConnectionString(connectionStringOrPath);
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrWhiteSpace(builder.DataSource)
            || string.Equals(builder.DataSource, ":memory:", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                "An in-memory SQLite database is private to one connection and cannot hold checkpoints; use a file, or InMemoryCheckpointRepository.",
                nameof(connectionStringOrPath));
        }

        if (!builder.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            builder.DataSource = Path.GetFullPath(builder.DataSource);
        }

        builder.Pooling = true;
        builder.DefaultTimeout = (int)Math.Ceiling(_options.BusyTimeout.TotalSeconds);
        _readOnly = builder.Mode == SqliteOpenMode.ReadOnly;
        _connectionString = builder.ToString();
        DatabasePath = builder.DataSource;
    }

    /// <summary>Gets the database file (a full path, or the <c>file:</c> URI given).</summary>
    public string DatabasePath { get; }

    /// <summary>Gets the newest schema version this store creates and reads.</summary>
    public static int SchemaVersion => SqliteSchema.CurrentVersion;

    /// <inheritdoc/>
    public async Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return await ExecuteAsync(async connection =>
        {
            // One read transaction: the document and its change rows are a consistent snapshot (WAL readers never block).
            using var transaction = connection.BeginTransaction(deferred: true);
            return await ReadAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return await ExecuteAsync(async connection =>
        {
            using var command = Command(connection, null, "SELECT EXISTS (SELECT 1 FROM checkpoints WHERE card_id = $card)", ("$card", cardId));
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) != 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return await WriteAsync(cardId, async (connection, transaction) =>
        {
            using var changes = Command(connection, transaction, "DELETE FROM checkpoint_changes WHERE card_id = $card", ("$card", cardId));
            await changes.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            using var document = Command(connection, transaction, "DELETE FROM checkpoints WHERE card_id = $card", ("$card", cardId));
            return await document.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken = default) =>
        await ExecuteAsync<IReadOnlyList<string>>(async connection =>
        {
            using var command = Command(connection, null, "SELECT card_id FROM checkpoints ORDER BY card_id");
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var ids = new List<string>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    ids.Add(reader.GetString(0));
                }

                return ids;
            }
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardIds.Validate(checkpoint.CardId, nameof(checkpoint));
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        await WriteAsync(checkpoint.CardId, async (connection, transaction) =>
        {
            var stored = await ReadStoredStateAsync(connection, transaction, checkpoint.CardId, cancellationToken).ConfigureAwait(false);
            EnsureVersion(checkpoint.CardId, stored?.Version ?? 0, checkpoint.Version);
            await WriteDocumentAsync(connection, transaction, checkpoint, document, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task SaveChangeAsync(PipelineCheckpoint checkpoint, CheckpointChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(change);
        CardIds.Validate(checkpoint.CardId, nameof(checkpoint));
        if (checkpoint.Version != change.Version)
        {
            throw new ArgumentException(
                $"The checkpoint (version {checkpoint.Version}) is not the result of the change (version {change.Version}).", nameof(checkpoint));
        }

        var changeJson = CheckpointJson.SerializeChange(change);
        await WriteAsync(checkpoint.CardId, async (connection, transaction) =>
        {
            var stored = await ReadStoredStateAsync(connection, transaction, checkpoint.CardId, cancellationToken).ConfigureAwait(false);
            EnsureVersion(checkpoint.CardId, stored?.Version ?? 0, change.Version);
            if (stored is not { } state)
            {
                await WriteDocumentAsync(connection, transaction, checkpoint, CheckpointJson.SerializeCheckpoint(checkpoint), cancellationToken).ConfigureAwait(false);
                return true;
            }

            var changeBytes = state.ChangeBytes + changeJson.Length;
            if (changeBytes > Math.Max(state.DocumentBytes, _options.MinCompactionBytes))
            {
                // The change rows would outgrow the document: write the new state as the document instead (a compaction).
                var document = CheckpointJson.SerializeCheckpoint(checkpoint);
                await WriteDocumentAsync(connection, transaction, checkpoint, document, cancellationToken).ConfigureAwait(false);
                SqliteLog.Compacted(_logger, checkpoint.CardId, state.ChangeCount + 1, changeBytes, document.Length, checkpoint.Version);
                return true;
            }

            using var insert = Command(
                connection,
                transaction,
                "INSERT INTO checkpoint_changes (card_id, version, change) VALUES ($card, $version, CAST($change AS TEXT))",
                ("$card", checkpoint.CardId),
                ("$version", change.Version),
                ("$change", changeJson));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            using var update = Command(
                connection,
                transaction,
                """
                UPDATE checkpoints
                SET version = $version, change_bytes = change_bytes + $bytes, change_count = change_count + 1, updated_at = $updatedAt
                WHERE card_id = $card
                """,
                ("$card", checkpoint.CardId),
                ("$version", change.Version),
                ("$bytes", changeJson.Length),
                ("$updatedAt", FormatTimestamp(checkpoint.UpdatedAt)));
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task CompactAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        await WriteAsync(cardId, async (connection, transaction) =>
        {
            var stored = await ReadStoredStateAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
            if (stored is not { ChangeCount: > 0 } state)
            {
                return false;
            }

            var checkpoint = (await ReadAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false))!;
            var document = CheckpointJson.SerializeCheckpoint(checkpoint);
            await WriteDocumentAsync(connection, transaction, checkpoint, document, cancellationToken).ConfigureAwait(false);
            SqliteLog.Compacted(_logger, cardId, state.ChangeCount, state.ChangeBytes, document.Length, checkpoint.Version);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases every ownership this repository holds and the pooled connections to its database.</summary>
    /// <returns>A task that completes when every lease row is deleted (or its deletion failed and was logged).</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var lease in _leases.Values)
        {
            await ReleaseAsync(lease).ConfigureAwait(false);
        }

        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _schemaGate.Dispose();
    }

    /// <summary>Releases every ownership this repository holds and the pooled connections to its database.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Opens a connection with the store's settings, migrating the schema on first use.</summary>
    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await OpenRawConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    private static SqliteConnectionStringBuilder ParseConnectionString(string value)
    {
        if (value.Contains('=', StringComparison.Ordinal))
        {
            try
            {
                return new SqliteConnectionStringBuilder(value);
            }
            catch (ArgumentException)
            {
                // Not a connection string: a path that happens to contain '='.
            }
        }

        return new SqliteConnectionStringBuilder { DataSource = value };
    }

    private static void EnsureVersion(string cardId, long storedVersion, long newVersion)
    {
        if (storedVersion != newVersion - 1)
        {
            throw new CheckpointConflictException(cardId, storedVersion, newVersion);
        }
    }

    private static string FormatTimestamp(DateTimeOffset value) => value.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private async Task<SqliteConnection> OpenRawConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var pragmas = connection.CreateCommand();
            pragmas.CommandText = string.Create(
                CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL;");
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_schemaReady)
            {
                return;
            }

            var connection = await OpenRawConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (!_readOnly)
                {
                    using var wal = connection.CreateCommand();
                    wal.CommandText = "PRAGMA journal_mode = WAL";
                    var mode = Convert.ToString(await wal.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) ?? "?";
                    if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    {
                        SqliteLog.NotWal(_logger, DatabasePath, mode);
                    }
                }

                var (from, to) = await SqliteSchema.MigrateAsync(
                    connection, DatabasePath, SqliteSchema.CurrentVersion, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                if (from != to)
                {
                    SqliteLog.SchemaMigrated(_logger, DatabasePath, from, to);
                }
            }

            _schemaReady = true;
        }
        catch (SqliteException ex)
        {
            throw SqliteErrors.Translate(ex, DatabasePath);
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    private async Task<T> ExecuteAsync<T>(Func<SqliteConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await action(connection).ConfigureAwait(false);
            }
        }
        catch (SqliteException ex)
        {
            throw SqliteErrors.Translate(ex, DatabasePath);
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> in one <c>BEGIN IMMEDIATE</c> transaction after checking that this repository may
    /// write the card, and commits it unless cancellation was requested first.
    /// </summary>
    private Task<T> WriteAsync<T>(string cardId, Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ExecuteAsync(async connection =>
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            await EnsureWriterAsync(connection, transaction, cardId, cancellationToken).ConfigureAwait(false);
            var result = await write(connection, transaction).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            transaction.Commit();
            return result;
        }, cancellationToken);
    }

    private static async Task<StoredState?> ReadStoredStateAsync(
        SqliteConnection connection, SqliteTransaction transaction, string cardId, CancellationToken cancellationToken)
    {
        using var command = Command(
            connection, transaction, "SELECT version, document_bytes, change_bytes, change_count FROM checkpoints WHERE card_id = $card", ("$card", cardId));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new StoredState(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3))
                : null;
        }
    }

    private async Task<PipelineCheckpoint?> ReadAsync(
        SqliteConnection connection, SqliteTransaction transaction, string cardId, CancellationToken cancellationToken)
    {
        long storedVersion;
        PipelineCheckpoint checkpoint;
        using (var command = Command(connection, transaction, "SELECT version, CAST(document AS BLOB) FROM checkpoints WHERE card_id = $card", ("$card", cardId)))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                storedVersion = reader.GetInt64(0);
                checkpoint = CheckpointJson.DeserializeCheckpoint(reader.GetFieldValue<byte[]>(1), DocumentSource(cardId));
            }
        }

        using (var command = Command(
            connection, transaction, "SELECT version, CAST(change AS BLOB) FROM checkpoint_changes WHERE card_id = $card ORDER BY version", ("$card", cardId)))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var rowVersion = reader.GetInt64(0);
                    var source = $"{DatabasePath}#checkpoint_changes[card_id='{cardId}', version={rowVersion}]";
                    var change = CheckpointJson.DeserializeChange(reader.GetFieldValue<byte[]>(1), source);
                    if (change.Version != rowVersion || change.Version != checkpoint.Version + 1)
                    {
                        throw new CheckpointCorruptedException(
                            source, null, $"the change has version {change.Version}; expected {checkpoint.Version + 1} to follow the stored state");
                    }

                    checkpoint = change.ApplyTo(checkpoint);
                }
            }
        }

        if (checkpoint.Version != storedVersion || !string.Equals(checkpoint.CardId, cardId, StringComparison.Ordinal))
        {
            throw new CheckpointCorruptedException(
                DocumentSource(cardId),
                null,
                $"the document and its changes give card '{checkpoint.CardId}' at version {checkpoint.Version}, but the row says card '{cardId}' at version {storedVersion}");
        }

        return checkpoint;
    }

    private string DocumentSource(string cardId) => $"{DatabasePath}#checkpoints[card_id='{cardId}']";

    private static async Task WriteDocumentAsync(
        SqliteConnection connection, SqliteTransaction transaction, PipelineCheckpoint checkpoint, byte[] document, CancellationToken cancellationToken)
    {
        using var upsert = Command(
            connection,
            transaction,
            """
            INSERT INTO checkpoints (card_id, version, document, updated_at, document_bytes, change_bytes, change_count)
            VALUES ($card, $version, CAST($document AS TEXT), $updatedAt, $documentBytes, 0, 0)
            ON CONFLICT (card_id) DO UPDATE SET
                version = excluded.version, document = excluded.document, updated_at = excluded.updated_at,
                document_bytes = excluded.document_bytes, change_bytes = 0, change_count = 0
            """,
            ("$card", checkpoint.CardId),
            ("$version", checkpoint.Version),
            ("$document", document),
            ("$updatedAt", FormatTimestamp(checkpoint.UpdatedAt)),
            ("$documentBytes", document.Length));
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        using var changes = Command(connection, transaction, "DELETE FROM checkpoint_changes WHERE card_id = $card", ("$card", checkpoint.CardId));
        await changes.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What a write needs to know about a stored card, without reading its document.</summary>
    private readonly record struct StoredState(long Version, long DocumentBytes, long ChangeBytes, long ChangeCount);
}
