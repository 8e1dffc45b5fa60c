using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Checkpointing.PostgreSql;

/// <summary>
/// Checkpoints in PostgreSQL, shared by many workers on many machines. A save writes a row for what changed (one
/// <c>checkpoint_changes</c> row per stage record, LLM response, status, ...), not the whole document; the change rows are
/// folded into the card's <c>json</c> document when they outgrow it and on <see cref="CompactAsync"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Schema: created and migrated by the store on first use (table <c>schema_migrations</c>, under an advisory lock,
/// so workers starting at once migrate it once). A schema newer than this code raises <see cref="CheckpointVersionException"/>.</item>
/// <item>Versions: every write is <c>UPDATE ... WHERE version = expected</c>; a stale one raises
/// <see cref="CheckpointConflictException"/> with the stored and attempted versions.</item>
/// <item>Ownership is a lease measured on the database clock, renewed in the background, released on dispose, and taken
/// over once expired (<see cref="AcquireOwnershipAsync"/>, <see cref="ClaimNextResumableAsync"/>). Every write under a
/// lease carries its fencing token; a write whose token is no longer the card's raises
/// <see cref="CheckpointLeaseLostException"/>. Writes without ownership go in only while nobody holds a valid lease
/// (else <see cref="CheckpointLockedException"/>).</item>
/// <item>Errors: an unreachable server raises <see cref="CheckpointStoreUnavailableException"/> naming host, port and
/// database; a missing privilege <see cref="CheckpointStorePermissionException"/>; any other database error a
/// <see cref="CheckpointException"/>.</item>
/// </list>
/// </remarks>
/// <example>
/// <code>
/// await using var manager = new CheckpointManager("CARD-1", new PostgreSqlCheckpointRepository("Host=db;Username=app;Password=..."));
/// </code>
/// </example>
public sealed partial class PostgreSqlCheckpointRepository : ICheckpointRepository, IAsyncDisposable
{
    private static readonly string[] NoCards = [];

    private readonly Func<CancellationToken, ValueTask<NpgsqlConnection>> _open;
    private readonly PostgreSqlCheckpointRepositoryOptions _options;
    private readonly PostgreSqlSchema _schema;
    private readonly PostgreSqlStatements _sql;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly string _host;
    private readonly int _port;
    private readonly string? _database;
    private readonly string? _user;
    private readonly Dictionary<string, CardLease> _leases = new(StringComparer.Ordinal);
    private readonly object _leasesGate = new();
    private readonly object _schemaGate = new();
    private Task? _schemaReady;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlCheckpointRepository"/> class.</summary>
    /// <param name="connectionString">An Npgsql connection string; connections come from Npgsql's shared pool for it.</param>
    public PostgreSqlCheckpointRepository(string connectionString)
        : this(connectionString, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlCheckpointRepository"/> class.</summary>
    /// <param name="connectionString">An Npgsql connection string; connections come from Npgsql's shared pool for it.</param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where migrations, lease events and recoveries are logged.</param>
    public PostgreSqlCheckpointRepository(string connectionString, PostgreSqlCheckpointRepositoryOptions? options, ILoggerFactory? loggerFactory = null)
        : this(ParseConnectionString(connectionString), OpenFromConnectionString(connectionString), options, loggerFactory)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlCheckpointRepository"/> class.</summary>
    /// <param name="dataSource">Where connections come from; the caller keeps and disposes it.</param>
    public PostgreSqlCheckpointRepository(NpgsqlDataSource dataSource)
        : this(dataSource, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlCheckpointRepository"/> class.</summary>
    /// <param name="dataSource">Where connections come from; the caller keeps and disposes it.</param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where migrations, lease events and recoveries are logged.</param>
    public PostgreSqlCheckpointRepository(NpgsqlDataSource dataSource, PostgreSqlCheckpointRepositoryOptions? options, ILoggerFactory? loggerFactory = null)
        : this(
            new NpgsqlConnectionStringBuilder((dataSource ?? throw new ArgumentNullException(nameof(dataSource))).ConnectionString),
            ct => dataSource.OpenConnectionAsync(ct),
            options,
            loggerFactory)
    {
    }

    private PostgreSqlCheckpointRepository(
        NpgsqlConnectionStringBuilder settings,
        Func<CancellationToken, ValueTask<NpgsqlConnection>> open,
        PostgreSqlCheckpointRepositoryOptions? options,
        ILoggerFactory? loggerFactory)
    {
        _options = options ?? new PostgreSqlCheckpointRepositoryOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.LeaseDuration, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.LockPollInterval, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MinCompactionBytes, nameof(options));
        ArgumentNullException.ThrowIfNull(_options.TimeProvider, nameof(options));
        _schema = new PostgreSqlSchema(_options.Schema);
        _sql = new PostgreSqlStatements(_schema);
        _open = open;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PostgreSqlCheckpointRepository>();
        _timeProvider = _options.TimeProvider;
        _host = settings.Host ?? "localhost";
        _port = settings.Port;
        _database = settings.Database ?? settings.Username;
        _user = settings.Username;
        WorkerId = _options.WorkerId is { Length: > 0 } workerId
            ? workerId
            : $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>Gets the newest schema migration this code knows.</summary>
    public static int SchemaVersion => PostgreSqlSchema.LatestVersion;

    /// <summary>Gets the schema that holds the store's tables.</summary>
    public string Schema => _schema.Name;

    /// <summary>Gets the worker id recorded as the owner of cards taken with <see cref="AcquireOwnershipAsync"/>.</summary>
    public string WorkerId { get; }

    /// <summary>Gets or sets a value indicating whether background lease renewal skips its turns, freezing every lease (a test hook).</summary>
    internal bool LeaseRenewalSuspended { get; set; }

    private static NpgsqlConnectionStringBuilder ParseConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new NpgsqlConnectionStringBuilder(connectionString);
    }

    private static Func<CancellationToken, ValueTask<NpgsqlConnection>> OpenFromConnectionString(string connectionString) =>
        async ct =>
        {
            var connection = new NpgsqlConnection(connectionString);
            try
            {
                await connection.OpenAsync(ct).ConfigureAwait(false);
                return connection;
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        };

    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        return await GuardAsync(async () =>
        {
            var connection = await _open(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await operation(connection, cancellationToken).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
    }
}
