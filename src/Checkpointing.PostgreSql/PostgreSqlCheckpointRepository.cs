using Checkpointing.Folding;
using Checkpointing.Ownership;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Checkpointing.PostgreSql;

/// <summary>
/// Checkpoints in PostgreSQL, shared by many workers on many machines. A save writes a row for what changed (one
/// <c>checkpoint_changes</c> row per stage record, LLM response, status, ...), not the whole document; the change rows are
/// folded into a new <c>json</c> document of the card in the background when they outgrow it (a save never waits for it),
/// and on <see cref="CompactAsync"/> and dispose, which wait.
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
/// <item>Errors: an unreachable server raises <see cref="PostgreSqlStoreUnavailableException"/> (a
/// <see cref="CheckpointStoreUnavailableException"/>) naming host, port and database; a missing privilege
/// <see cref="PostgreSqlStorePermissionException"/> (a <see cref="CheckpointStorePermissionException"/>); any other database
/// error a <see cref="CheckpointException"/>.</item>
/// <item>Parts: <see cref="PostgreSqlDatabase"/> (connections, schema, errors), <see cref="PostgreSqlCheckpointReader"/>,
/// <see cref="PostgreSqlChangeWriter"/>, <see cref="PostgreSqlDocumentFold"/> (run by <see cref="BackgroundFolds"/>), <see cref="PostgreSqlFence"/> and
/// <see cref="PostgreSqlCardLeases"/>; this type checks arguments and hands each call to one of them.</item>
/// </list>
/// </remarks>
/// <example>
/// <code>
/// await using var manager = new CheckpointManager("CARD-1", new PostgreSqlCheckpointRepository("Host=db;Username=app;Password=..."));
/// </code>
/// </example>
public sealed class PostgreSqlCheckpointRepository : ICheckpointRepository, IAsyncDisposable
{
    private readonly PostgreSqlDatabase _database;
    private readonly PostgreSqlCheckpointReader _reader;
    private readonly PostgreSqlChangeWriter _writer;
    private readonly PostgreSqlDocumentFold _fold;
    private readonly BackgroundFolds _folds;
    private readonly PostgreSqlCardLeases _leases;
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
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
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
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
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
        var configured = options ?? new PostgreSqlCheckpointRepositoryOptions();
        configured.Validate();
        var logger = LoggerFactories.Create<PostgreSqlCheckpointRepository>(loggerFactory);
        WorkerId = configured.WorkerId is { Length: > 0 } workerId ? workerId : OwnerIds.New();
        _database = new PostgreSqlDatabase(settings, open, new PostgreSqlSchema(configured.Schema), configured.MigrateAutomatically, logger);
        var fence = new PostgreSqlFence(_database, logger);
        _reader = new PostgreSqlCheckpointReader(_database);
        _writer = new PostgreSqlChangeWriter(_database, fence, configured);
        _leases = new PostgreSqlCardLeases(_database, fence, configured, WorkerId, logger);
        _fold = new PostgreSqlDocumentFold(_database, _reader, fence, _leases, configured, logger);
        _folds = new BackgroundFolds(_fold.RunAsync, (cardId, exception) => PostgreSqlLog.FoldFailed(logger, cardId, exception));
    }

    /// <summary>Gets the newest schema migration this code knows.</summary>
    public static int SchemaVersion => PostgreSqlSchema.LatestVersion;

    /// <summary>Gets the schema that holds the store's tables.</summary>
    public string Schema => _database.Schema.Name;

    /// <summary>Gets the worker id recorded as the owner of cards taken with <see cref="AcquireOwnershipAsync"/>.</summary>
    public string WorkerId { get; }

    /// <summary>Gets or sets a value indicating whether background lease renewal skips its turns, freezing every lease (a test hook).</summary>
    internal bool LeaseRenewalSuspended
    {
        get => _leases.RenewalSuspended;
        set => _leases.RenewalSuspended = value;
    }

    /// <inheritdoc/>
    public Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return _reader.LoadAsync(cardId, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return _reader.ExistsAsync(cardId, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken = default) => _reader.ListCardIdsAsync(cancellationToken);

    /// <inheritdoc/>
    public Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return _writer.DeleteAsync(cardId, _leases.Find(cardId), cancellationToken);
    }

    /// <inheritdoc/>
    public Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardIds.Validate(checkpoint.CardId);
        return _writer.SaveAsync(checkpoint, _leases.Find(checkpoint.CardId), cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The call returns once the change row is committed. When the change rows outgrow the stored document, a fold into a
    /// new document is started in the background; the call does not wait for it.
    /// </remarks>
    public async Task SaveChangeAsync(AppliedChange applied, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(applied);
        var cardId = applied.Checkpoint.CardId;
        CardIds.Validate(cardId);
        var saved = await _writer.SaveChangeAsync(applied.Checkpoint, applied.Change, _leases.Find(cardId), cancellationToken).ConfigureAwait(false);
        if (saved.FoldDue)
        {
            _fold.Offer(applied.Checkpoint, saved);
            _folds.Request(cardId);
        }
    }

    /// <inheritdoc/>
    public Task ImportAsync(PipelineCheckpoint checkpoint, long? expectedStoredVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardIds.Validate(checkpoint.CardId);
        return _writer.ImportAsync(checkpoint, expectedStoredVersion, _leases.Find(checkpoint.CardId), cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>Waits for a background fold of the card that is running, then folds every change row before it returns.</remarks>
    public Task CompactAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return _folds.CompactAsync(cardId, cancellationToken);
    }

    /// <summary>
    /// Takes a lease on the card, waiting up to <paramref name="timeout"/> while another worker holds an unexpired one. When
    /// this repository already holds the card from <see cref="ClaimNextResumableAsync"/>, that lease is used instead.
    /// </summary>
    /// <param name="cardId">The card.</param>
    /// <param name="timeout">How long to wait; <see cref="TimeSpan.Zero"/> fails at once, <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A <see cref="CardClaim"/> that gives the card up when disposed.</returns>
    /// <exception cref="CheckpointLockedException">Another worker (or another handle of this repository) still holds the card when the timeout ends.</exception>
    /// <remarks>
    /// Unlike the file store's OS lock, a lease outlives a process that crashed: the card is free again when the lease
    /// expires (<see cref="PostgreSqlCheckpointRepositoryOptions.LeaseDuration"/>, 30 s by default). To resume right after a
    /// crash, give the manager a <see cref="CheckpointManagerOptions.LockTimeout"/> of at least the lease duration, or let
    /// workers take cards with <see cref="ClaimNextResumableAsync"/>.
    /// </remarks>
    public Task<CardClaim> AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        OwnershipWait.ValidateTimeout(timeout);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _leases.AcquireAsync(cardId, timeout, cancellationToken);
    }

    /// <inheritdoc/>
    async Task<CheckpointOwnership> ICheckpointRepository.AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken) =>
        await AcquireOwnershipAsync(cardId, timeout, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Hands this worker the next card that can be resumed (status active, paused, resumed or failed) that nobody holds or
    /// whose lease expired on the database clock, with a new lease and a higher fencing token. Workers claiming at once get
    /// different cards (<c>FOR UPDATE SKIP LOCKED</c>). The lease is renewed in the background until the claim is disposed.
    /// </summary>
    /// <param name="workerId">The worker, recorded as the card's owner.</param>
    /// <param name="leaseDuration">How long the lease lasts without renewal.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The claim, or <see langword="null"/> when no card can be claimed now.</returns>
    /// <remarks>Create a <see cref="CheckpointManager"/> on this repository for <see cref="CheckpointOwnership.CardId"/> and resume it: it uses the claim's lease.</remarks>
    public Task<CardClaim?> ClaimNextResumableAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _leases.ClaimNextAsync(workerId, leaseDuration, cancellationToken);
    }

    /// <summary>Creates or upgrades the store's schema to <see cref="SchemaVersion"/>, as first use does when <see cref="PostgreSqlCheckpointRepositoryOptions.MigrateAutomatically"/> is on.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the schema is current.</returns>
    /// <exception cref="CheckpointVersionException">The schema is newer than this code knows.</exception>
    public Task MigrateAsync(CancellationToken cancellationToken = default) => _database.MigrateToAsync(PostgreSqlSchema.LatestVersion, cancellationToken);

    /// <summary>
    /// Waits for running background folds and folds every card whose fold is still due (under the leases still held), then
    /// stops renewing every lease this repository holds and releases them.
    /// </summary>
    /// <returns>A task that completes when the leases are released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _folds.CloseAsync().ConfigureAwait(false);
        await _leases.CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Completes when no background fold of the card runs (tests wait for it).</summary>
    internal Task WhenFoldIdleAsync(string cardId) => _folds.WhenIdleAsync(cardId);

    /// <summary>Brings the schema to a given migration (tests create databases of older versions with it).</summary>
    internal Task MigrateToAsync(int targetVersion, CancellationToken cancellationToken) => _database.MigrateToAsync(targetVersion, cancellationToken);

    /// <summary>Freezes the renewal of the lease this repository holds on a card (a test hook).</summary>
    internal void SuspendLeaseRenewal(string cardId) => (_leases.Find(cardId) ?? throw new InvalidOperationException($"No lease is held on card '{cardId}'.")).RenewalSuspended = true;

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
}
