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
/// background while held and deleted on dispose. The row records the owner process: on Linux, a card whose owner process
/// is gone from this machine is taken over at once; any other crashed owner stops renewing, so its card is free again
/// after <see cref="SqliteCheckpointRepositoryOptions.LeaseDuration"/>. Each repository instance is its own owner: writes
/// through another instance (or process) are refused with <see cref="CheckpointLockedException"/> while a live lease is
/// held, and so are writes of an owner whose lease ran out and was taken over.</item>
/// <item>Documents and changes are stored as the library's JSON (<see cref="CheckpointJson"/>). On Unix a new database file
/// is created with mode 0600, and SQLite gives its <c>-wal</c> and <c>-shm</c> files the same mode.</item>
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
    private readonly bool _createsFile;
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
        _createsFile = builder.Mode == SqliteOpenMode.ReadWriteCreate && !builder.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase);
        _connectionString = builder.ToString();
        DatabasePath = builder.DataSource;
    }

    /// <summary>Gets the database file (a full path, or the <c>file:</c> URI given).</summary>
    public string DatabasePath { get; }

    /// <summary>Gets the newest schema version this store creates and reads.</summary>
    public static int SchemaVersion => SqliteSchema.CurrentVersion;

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
}
