using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Checkpointing.Sqlite;

/// <summary>
/// One SQLite checkpoint database: its connection settings, and connections to it with the store's pragmas, the schema
/// migrated on first use and SQLite's errors turned into the library's (<see cref="SqliteErrors"/>).
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private readonly SemaphoreSlim _writerTurn = new(1, 1);
    private readonly SqliteCheckpointRepositoryOptions _options;
    private readonly ILogger _logger;
    private readonly string _connectionString;
    private readonly bool _readOnly;
    private readonly bool _createsFile;
    private volatile bool _schemaReady;

    public SqliteDatabase(string connectionStringOrPath, SqliteCheckpointRepositoryOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
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
            builder.DataSource = System.IO.Path.GetFullPath(builder.DataSource);
        }

        builder.Pooling = true;
        builder.DefaultTimeout = (int)Math.Ceiling(_options.BusyTimeout.TotalSeconds);
        _readOnly = builder.Mode == SqliteOpenMode.ReadOnly;
        _createsFile = builder.Mode == SqliteOpenMode.ReadWriteCreate && !builder.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase);
        _connectionString = builder.ToString();
        Path = builder.DataSource;
        WalCheckpoints = new SqliteWalCheckpoints(this, options.WalCheckpointBytes, options.BackgroundActivity, logger);
    }

    /// <summary>Gets the database file (a full path, or the <c>file:</c> URI given).</summary>
    public string Path { get; }

    /// <summary>Gets the background WAL checkpoints; every committed write tells it what it stored.</summary>
    public SqliteWalCheckpoints WalCheckpoints { get; }

    /// <summary>Creates a command with positional parameters.</summary>
    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
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

    /// <summary>Runs <paramref name="action"/> on a connection of a migrated database, translating SQLite's errors.</summary>
    public async Task<T> ExecuteAsync<T>(Func<SqliteConnection, Task<T>> action, CancellationToken cancellationToken)
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
            throw SqliteErrors.Translate(ex, Path);
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> in one <c>BEGIN IMMEDIATE</c> transaction and commits it unless cancellation was
    /// requested first. The writes of this repository take turns first, in the order they came (an async gate): SQLite
    /// has one writer, and a connection that finds the write lock taken polls for it with growing sleeps (1, 2, 5, 10 ...
    /// 100 ms), so a save racing a fold that commits chunk after chunk could poll for hundreds of milliseconds, losing the
    /// lock to the fold's next chunk each time. In turn, a save waits for at most the one transaction ahead of it. Writers
    /// of other repositories and processes still meet at SQLite's lock (<see cref="SqliteCheckpointRepositoryOptions.BusyTimeout"/>).
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken) =>
        ExecuteAsync(
            async connection =>
            {
                await _writerTurn.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    using var transaction = connection.BeginTransaction(deferred: false);
                    var result = await write(connection, transaction).ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                    transaction.Commit();
                    return result;
                }
                finally
                {
                    _writerTurn.Release();
                }
            },
            cancellationToken);

    /// <summary>Opens a connection with the store's pragmas to the migrated database (the caller translates errors).</summary>
    public async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await OpenRawConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a connection with the store's pragmas, without checking the schema (lease renewal and release). No
    /// connection checkpoints the log inside a commit: <see cref="WalCheckpoints"/> does it in the background.
    /// </summary>
    public async Task<SqliteConnection> OpenRawConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var pragmas = connection.CreateCommand();
            pragmas.CommandText = string.Create(
                CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)_options.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;");
            await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Clears the pooled connections to the database (synchronous: it only closes idle handles).</summary>
    public void Dispose()
    {
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _schemaGate.Dispose();
        _writerTurn.Dispose();
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

            SqliteDatabaseFile.CreatePrivately(Path, _createsFile);
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
                        SqliteLog.NotWal(_logger, Path, mode);
                    }
                }

                var (from, to) = await SqliteSchema.MigrateAsync(
                    connection, Path, SqliteSchema.CurrentVersion, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                if (from != to)
                {
                    SqliteLog.SchemaMigrated(_logger, Path, from, to);
                }
            }

            _schemaReady = true;
        }
        finally
        {
            _schemaGate.Release();
        }
    }
}
