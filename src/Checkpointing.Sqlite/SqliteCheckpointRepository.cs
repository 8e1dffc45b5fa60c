using Checkpointing.Folding;
using Checkpointing.Ownership;
using Microsoft.Extensions.Logging;

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
/// stored document in the background when they outgrow it (a save never waits for it: the new document is written in
/// chunks over short transactions and switched in by a short one), and on <see cref="CompactAsync"/> and dispose, which wait.</item>
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
/// <item>Disposal is asynchronous only (<see cref="DisposeAsync"/>): releasing leases deletes rows, which is I/O.</item>
/// <item>Errors: a database that cannot be opened, written or reached raises <see cref="SqliteCheckpointStoreException"/>, a
/// <see cref="CheckpointStoreUnavailableException"/>.</item>
/// <item>Documents and changes are stored as the library's JSON (<see cref="CheckpointJson"/>). On Unix a new database file
/// is created with mode 0600, and SQLite gives its <c>-wal</c> and <c>-shm</c> files the same mode.</item>
/// </list>
/// </remarks>
public sealed class SqliteCheckpointRepository : ICheckpointRepository, IAsyncDisposable
{
    private readonly SqliteDatabase _database;
    private readonly SqliteCheckpointReader _reader;
    private readonly SqliteChangeWriter _writer;
    private readonly SqliteCardOwners _owners;
    private readonly SqliteDocumentFold _fold;
    private readonly BackgroundFolds _folds;
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
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public SqliteCheckpointRepository(string connectionStringOrPath, SqliteCheckpointRepositoryOptions? options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionStringOrPath);
        var settings = options ?? new SqliteCheckpointRepositoryOptions();
        settings.Validate();
        var logger = LoggerFactories.Create<SqliteCheckpointRepository>(loggerFactory);
        _database = new SqliteDatabase(connectionStringOrPath, settings, logger);
        _reader = new SqliteCheckpointReader(_database);
        _owners = new SqliteCardOwners(_database, settings, logger);
        _writer = new SqliteChangeWriter(_database, _owners, settings);
        _fold = new SqliteDocumentFold(_database, _writer, _reader, settings, logger);
        _folds = new BackgroundFolds(_fold.RunAsync, (cardId, exception) => SqliteLog.FoldFailed(logger, cardId, exception));
    }

    /// <summary>Gets the database file (a full path, or the <c>file:</c> URI given).</summary>
    public string DatabasePath => _database.Path;

    /// <summary>Gets the newest schema version this store creates and reads.</summary>
    public static int SchemaVersion => SqliteSchema.CurrentVersion;

    /// <inheritdoc/>
    public Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        ThrowIfDisposed();
        return _reader.LoadAsync(cardId, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        ThrowIfDisposed();
        return _reader.ExistsAsync(cardId, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _reader.ListCardIdsAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        ThrowIfDisposed();
        return _writer.DeleteAsync(cardId, cancellationToken);
    }

    /// <inheritdoc/>
    public Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardIds.Validate(checkpoint.CardId, nameof(checkpoint));
        ThrowIfDisposed();
        return _writer.SaveAsync(checkpoint, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The call returns once the change row is committed. When the change rows outgrow the stored document, a fold into a
    /// new document is started in the background; the call does not wait for it.
    /// </remarks>
    public async Task SaveChangeAsync(AppliedChange applied, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(applied);
        CardIds.Validate(applied.Checkpoint.CardId, nameof(applied));
        ThrowIfDisposed();
        var cardId = applied.Checkpoint.CardId;
        var saved = await _writer.SaveChangeAsync(applied.Checkpoint, applied.Change, cancellationToken).ConfigureAwait(false);
        if (saved.FoldDue)
        {
            if (_owners.Holds(cardId))
            {
                // Under a lease no other writer writes the card, so the state this save wrote is the stored one. Without
                // one, another writer's import at the same version could sit under this change: the fold reads instead.
                _fold.Offer(applied.Checkpoint, saved);
            }

            _folds.Request(cardId);
        }
    }

    /// <inheritdoc/>
    public Task ImportAsync(PipelineCheckpoint checkpoint, long? expectedStoredVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardIds.Validate(checkpoint.CardId, nameof(checkpoint));
        ThrowIfDisposed();
        return _writer.ImportAsync(checkpoint, expectedStoredVersion, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>Waits for a background fold of the card that is running, then folds every change row before it returns.</remarks>
    public Task CompactAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        ThrowIfDisposed();
        return _folds.CompactAsync(cardId, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Ownership is a lease row in <c>card_owners</c> that this repository renews every third of
    /// <see cref="SqliteCheckpointRepositoryOptions.LeaseDuration"/> until the handle is disposed. The row records the
    /// owner process (host, pid, start time). A lease whose owner process is gone from this machine (on Linux: no process
    /// has its pid, or the pid now belongs to a process started at another time) is taken over at once; any other lease
    /// (an owner on another host, or whose liveness cannot be read) once it expires. <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits without limit.
    /// </remarks>
    public Task<CheckpointOwnership> AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        OwnershipWait.ValidateTimeout(timeout);
        ThrowIfDisposed();
        return _owners.AcquireAsync(cardId, timeout, cancellationToken);
    }

    /// <summary>
    /// Waits for running background folds and folds every card whose fold is still due, then releases every ownership
    /// this repository holds, waits for a running background WAL checkpoint, and closes the pooled connections to its
    /// database (the last connection to close checkpoints what is left of the log).
    /// </summary>
    /// <returns>A task that completes when every lease row is deleted (or its deletion failed and was logged).</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _folds.CloseAsync().ConfigureAwait(false);
        await _owners.CloseAsync().ConfigureAwait(false);
        await _database.WalCheckpoints.CloseAsync().ConfigureAwait(false);
        _database.Dispose();
    }

    /// <summary>Completes when no background fold of the card runs (tests wait for it).</summary>
    internal Task WhenFoldIdleAsync(string cardId) => _folds.WhenIdleAsync(cardId);

    /// <summary>Gets the database (tests open connections to it).</summary>
    internal SqliteDatabase Database => _database;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
