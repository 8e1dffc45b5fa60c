using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

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
public sealed class PostgreSqlCheckpointRepository : ICheckpointRepository, IAsyncDisposable
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

    /// <summary>Creates or upgrades the store's schema to <see cref="SchemaVersion"/>, as first use does when <see cref="PostgreSqlCheckpointRepositoryOptions.MigrateAutomatically"/> is on.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the schema is current.</returns>
    /// <exception cref="CheckpointVersionException">The schema is newer than this code knows.</exception>
    public Task MigrateAsync(CancellationToken cancellationToken = default) => MigrateToAsync(PostgreSqlSchema.LatestVersion, cancellationToken);

    /// <inheritdoc/>
    public Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return RunAsync(async (connection, ct) => (await LoadCoreAsync(connection, cardId, ct).ConfigureAwait(false))?.Checkpoint, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        return RunAsync(async (connection, ct) =>
        {
            using var command = new NpgsqlCommand(_sql.Exists, connection);
            command.Parameters.AddWithValue("card", cardId);
            return (bool)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<string>>(async (connection, ct) =>
        {
            using var command = new NpgsqlCommand(_sql.List, connection);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var ids = new List<string>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                ids.Add(reader.GetString(0));
            }

            return ids;
        }, cancellationToken);

    /// <inheritdoc/>
    public Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        var lease = FindLease(cardId);
        return RunAsync(async (connection, ct) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                using (var command = new NpgsqlCommand(lease is null ? _sql.DeleteUnowned : _sql.DeleteOwned, connection))
                {
                    command.Parameters.AddWithValue("card", cardId);
                    AddFence(command, lease);
                    if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is bool existed)
                    {
                        return existed;
                    }
                }

                var state = await InspectAsync(connection, cardId, ct).ConfigureAwait(false);
                if (state is null && lease is null)
                {
                    return false;
                }

                ThrowIfFenced(cardId, lease, state);
                ThrowIfRacing(cardId, attempt);
            }
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardIds.Validate(checkpoint.CardId);
        var lease = FindLease(checkpoint.CardId);
        return RunAsync(async (connection, ct) =>
        {
            await SaveWholeAsync(connection, lease, checkpoint, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task SaveChangeAsync(PipelineCheckpoint checkpoint, CheckpointChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(change);
        CardIds.Validate(checkpoint.CardId);
        if (checkpoint.Version != change.Version)
        {
            throw new ArgumentException(
                $"The checkpoint (version {checkpoint.Version}) is not the result of the change (version {change.Version}).", nameof(checkpoint));
        }

        var lease = FindLease(checkpoint.CardId);
        var cardId = checkpoint.CardId;
        var json = CheckpointJson.SerializeChange(change);
        var (kind, stageName) = Describe(change);
        return RunAsync(async (connection, ct) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                bool? compact;
                using (var command = new NpgsqlCommand(lease is null ? _sql.SaveChangeUnowned : _sql.SaveChangeOwned, connection))
                {
                    command.Parameters.AddWithValue("card", cardId);
                    command.Parameters.AddWithValue("version", change.Version);
                    command.Parameters.AddWithValue("status", StatusName(checkpoint.Status));
                    command.Parameters.AddWithValue("change_bytes", (long)json.Length);
                    command.Parameters.AddWithValue("min_compaction", _options.MinCompactionBytes);
                    command.Parameters.AddWithValue("kind", kind);
                    command.Parameters.Add(new NpgsqlParameter("stage", NpgsqlDbType.Text) { Value = (object?)stageName ?? DBNull.Value });
                    command.Parameters.Add(new NpgsqlParameter("change", NpgsqlDbType.Json) { Value = json });
                    AddFence(command, lease);
                    compact = await command.ExecuteScalarAsync(ct).ConfigureAwait(false) as bool?;
                }

                if (compact is { } outgrown)
                {
                    if (outgrown)
                    {
                        await CompactAfterChangeAsync(connection, lease, checkpoint).ConfigureAwait(false);
                    }

                    return true;
                }

                var state = await InspectAsync(connection, cardId, ct).ConfigureAwait(false);
                ThrowIfFenced(cardId, lease, state);
                var stored = state?.Version ?? 0;
                if (stored != change.Version - 1)
                {
                    throw new CheckpointConflictException(cardId, stored, change.Version);
                }

                if (state is null || !state.HasDocument)
                {
                    // Nothing stored yet (version 0): the first change stores the whole checkpoint.
                    await SaveWholeAsync(connection, lease, checkpoint, ct).ConfigureAwait(false);
                    return true;
                }

                ThrowIfRacing(cardId, attempt);
            }
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task CompactAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        var lease = FindLease(cardId);
        return RunAsync(async (connection, ct) =>
        {
            var loaded = await LoadCoreAsync(connection, cardId, ct).ConfigureAwait(false);
            if (loaded is null)
            {
                return true;
            }

            if (lease is null && loaded.Leased)
            {
                throw Locked(cardId, await InspectAsync(connection, cardId, ct).ConfigureAwait(false), TimeSpan.Zero);
            }

            if (loaded.ChangeBytes == 0)
            {
                return true;
            }

            if (!await TryCompactAsync(connection, lease, loaded.Checkpoint, loaded.ChangeBytes, ct).ConfigureAwait(false))
            {
                // Either the fence refused it (thrown here) or another write moved the version on: then there is newer state to fold later.
                ThrowIfFenced(cardId, lease, await InspectAsync(connection, cardId, ct).ConfigureAwait(false));
            }

            return true;
        }, cancellationToken);
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
    public async Task<IAsyncDisposable> AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        CardIds.Validate(cardId);
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var started = _timeProvider.GetTimestamp();
        var logWait = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var heldHere = false;
            lock (_leasesGate)
            {
                if (_leases.TryGetValue(cardId, out var local))
                {
                    if (local.FromClaim && !local.Adopted && !local.Released)
                    {
                        local.Adopted = true;
                        local.References++;
                        return new CardClaim(local, adopter: true);
                    }

                    heldHere = true;
                }
            }

            if (!heldHere)
            {
                var lease = await RunAsync((connection, ct) => TakeLeaseAsync(connection, cardId, ct), cancellationToken).ConfigureAwait(false);
                if (lease is not null)
                {
                    if (logWait)
                    {
                        PostgreSqlLog.LeaseWaited(_logger, cardId, _timeProvider.GetElapsedTime(started).TotalMilliseconds);
                    }

                    return Register(lease);
                }
            }

            var waited = _timeProvider.GetElapsedTime(started);
            if (timeout != Timeout.InfiniteTimeSpan && waited >= timeout)
            {
                CardState? state = null;
                if (!heldHere)
                {
                    state = await RunAsync((connection, ct) => InspectAsync(connection, cardId, ct), cancellationToken).ConfigureAwait(false);
                }

                throw Locked(cardId, state, waited, heldHere);
            }

            logWait = true;
            var delay = _options.LockPollInterval;
            if (timeout != Timeout.InfiniteTimeSpan && timeout - waited < delay)
            {
                delay = timeout - waited;
            }

            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Hands this worker the next card that can be resumed (status active, paused, resumed or failed) that nobody holds or
    /// whose lease expired on the database clock, with a new lease and a higher fencing token. Workers claiming at once get
    /// different cards (<c>FOR UPDATE SKIP LOCKED</c>). The lease is renewed in the background until the claim is disposed.
    /// </summary>
    /// <param name="workerId">The worker, recorded as the card's owner.</param>
    /// <param name="leaseDuration">How long the lease lasts without renewal.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The claim, or <see langword="null"/> when no card can be claimed now.</returns>
    /// <remarks>Create a <see cref="CheckpointManager"/> on this repository for <see cref="CardClaim.CardId"/> and resume it: it uses the claim's lease.</remarks>
    public async Task<CardClaim?> ClaimNextResumableAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        string[] held;
        lock (_leasesGate)
        {
            held = _leases.Count == 0 ? NoCards : [.. _leases.Keys];
        }

        var lease = await RunAsync(async (connection, ct) =>
        {
            using var command = new NpgsqlCommand(_sql.ClaimNext, connection);
            command.Parameters.AddWithValue("worker", workerId);
            command.Parameters.AddWithValue("lease", leaseDuration);
            command.Parameters.Add(new NpgsqlParameter("held", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = held });
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false)
                ? new CardLease(this, reader.GetString(0), workerId, reader.GetInt64(1), leaseDuration, reader.GetFieldValue<DateTimeOffset>(2), fromClaim: true)
                : null;
        }, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            return null;
        }

        PostgreSqlLog.CardClaimed(_logger, lease.CardId, workerId, lease.Token);
        return Register(lease);
    }

    /// <summary>Stops renewing every lease this repository holds and releases them.</summary>
    /// <returns>A task that completes when the leases are released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        List<CardLease> leases;
        lock (_leasesGate)
        {
            leases = [.. _leases.Values];
            foreach (var lease in leases)
            {
                lease.Released = true;
                lease.References = 0;
            }

            _leases.Clear();
        }

        foreach (var lease in leases)
        {
            await ReleaseInDatabaseAsync(lease).ConfigureAwait(false);
        }
    }

    /// <summary>Brings the schema to a given migration (tests create databases of older versions with it).</summary>
    internal async Task MigrateToAsync(int targetVersion, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetVersion, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, PostgreSqlSchema.LatestVersion);
        await GuardAsync(async () =>
        {
            var connection = await _open(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await _schema.MigrateAsync(connection, targetVersion, NewerSchema, _logger, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }).ConfigureAwait(false);
    }

    /// <summary>Gets the lease this repository holds on a card, if any (tests read its token and freeze its renewal).</summary>
    internal CardLease? FindLease(string cardId)
    {
        lock (_leasesGate)
        {
            return _leases.GetValueOrDefault(cardId);
        }
    }

    /// <summary>Drops one handle's reference to a lease; the last one stops renewal and releases the lease in the database.</summary>
    internal async Task ReleaseHandleAsync(CardLease lease, bool adopter)
    {
        lock (_leasesGate)
        {
            if (adopter)
            {
                lease.Adopted = false;
            }

            if (lease.Released || --lease.References > 0)
            {
                return;
            }

            lease.Released = true;
            if (_leases.TryGetValue(lease.CardId, out var current) && ReferenceEquals(current, lease))
            {
                _leases.Remove(lease.CardId);
            }
        }

        await ReleaseInDatabaseAsync(lease).ConfigureAwait(false);
    }

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

    private static string StatusName(CheckpointStatus status) => status switch
    {
        CheckpointStatus.Active => "active",
        CheckpointStatus.Paused => "paused",
        CheckpointStatus.Completed => "completed",
        CheckpointStatus.Failed => "failed",
        CheckpointStatus.Resumed => "resumed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown checkpoint status."),
    };

    private static (string Kind, string? StageName) Describe(CheckpointChange change) => change switch
    {
        StageRecorded stage => ("stage", stage.Stage.StageName),
        LlmResponseCached cached => ("llm_response", cached.StageName),
        CurrentStageSet current => ("current_stage", current.StageName),
        StatusChanged => ("status", null),
        CheckpointResumed => ("resumed", null),
        _ => throw new ArgumentException($"Unknown change type {change.GetType().Name}.", nameof(change)),
    };

    private static void ThrowIfRacing(string cardId, int attempt)
    {
        if (attempt >= 4)
        {
            throw new CheckpointException($"Card '{cardId}': the write kept racing with other writers and was given up; nothing was written.");
        }
    }

    private static void AddFence(NpgsqlCommand command, CardLease? lease)
    {
        if (lease is null)
        {
            return;
        }

        command.Parameters.AddWithValue("token", lease.Token);
        command.Parameters.AddWithValue("worker", lease.WorkerId);
        command.Parameters.AddWithValue("lease", lease.Duration);
    }

    private async Task SaveWholeAsync(NpgsqlConnection connection, CardLease? lease, PipelineCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var cardId = checkpoint.CardId;
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        for (var attempt = 0; ; attempt++)
        {
            using (var command = new NpgsqlCommand(lease is null ? _sql.SaveUnowned : _sql.SaveOwned, connection))
            {
                AddDocument(command, checkpoint, document);
                AddFence(command, lease);
                if ((long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1)
                {
                    return;
                }
            }

            var state = await InspectAsync(connection, cardId, cancellationToken).ConfigureAwait(false);
            ThrowIfFenced(cardId, lease, state);
            var stored = state?.Version ?? 0;
            if (stored != checkpoint.Version - 1)
            {
                throw new CheckpointConflictException(cardId, stored, checkpoint.Version);
            }

            if (state is null)
            {
                // A write without ownership of a card that has no row yet: insert it (a concurrent insert wins; then retry).
                using var insert = new NpgsqlCommand(_sql.InsertFirst, connection);
                AddDocument(insert, checkpoint, document);
                if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
                {
                    return;
                }
            }

            ThrowIfRacing(cardId, attempt);
        }
    }

    private static void AddDocument(NpgsqlCommand command, PipelineCheckpoint checkpoint, byte[] document)
    {
        command.Parameters.AddWithValue("card", checkpoint.CardId);
        command.Parameters.AddWithValue("version", checkpoint.Version);
        command.Parameters.AddWithValue("status", StatusName(checkpoint.Status));
        command.Parameters.Add(new NpgsqlParameter("document", NpgsqlDbType.Json) { Value = document });
        command.Parameters.AddWithValue("document_bytes", (long)document.Length);
    }

    private async Task CompactAfterChangeAsync(NpgsqlConnection connection, CardLease? lease, PipelineCheckpoint checkpoint)
    {
        try
        {
            await TryCompactAsync(connection, lease, checkpoint, changeBytes: -1, CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            // The change is durable; the fold is retried after the next change or on CompactAsync.
            PostgreSqlLog.CompactionFailed(_logger, checkpoint.CardId, ex);
        }
    }

    private async Task<bool> TryCompactAsync(
        NpgsqlConnection connection, CardLease? lease, PipelineCheckpoint checkpoint, long changeBytes, CancellationToken cancellationToken)
    {
        var document = CheckpointJson.SerializeCheckpoint(checkpoint);
        using var command = new NpgsqlCommand(lease is null ? _sql.CompactUnowned : _sql.CompactOwned, connection);
        command.Parameters.AddWithValue("card", checkpoint.CardId);
        command.Parameters.AddWithValue("version", checkpoint.Version);
        command.Parameters.Add(new NpgsqlParameter("document", NpgsqlDbType.Json) { Value = document });
        command.Parameters.AddWithValue("document_bytes", (long)document.Length);
        AddFence(command, lease);
        var compacted = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
        if (compacted)
        {
            PostgreSqlLog.Compacted(_logger, checkpoint.CardId, changeBytes, document.Length, checkpoint.Version);
        }

        return compacted;
    }

    private async Task<LoadedCheckpoint?> LoadCoreAsync(NpgsqlConnection connection, string cardId, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(_sql.Load, connection);
        command.Parameters.AddWithValue("card", cardId);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var source = $"postgresql://{_host}:{_port}/{_database} {_schema.Name}.checkpoints card '{cardId}'";
        var version = reader.GetInt64(0);
        var documentVersion = reader.GetInt64(1);
        var leased = reader.GetBoolean(5);
        var checkpoint = CheckpointJson.DeserializeCheckpoint(reader.GetFieldValue<byte[]>(2), source);
        if (checkpoint.Version != documentVersion)
        {
            throw new CheckpointCorruptedException(source, null, $"the document is at version {checkpoint.Version} but the row says {documentVersion}");
        }

        long changeBytes = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var changeVersion = reader.GetInt64(3);
            var changeSource = $"postgresql://{_host}:{_port}/{_database} {_schema.Name}.checkpoint_changes card '{cardId}' version {changeVersion}";
            var json = reader.GetFieldValue<byte[]>(4);
            changeBytes += json.Length;
            var change = CheckpointJson.DeserializeChange(json, changeSource);
            if (change.Version != changeVersion || change.Version != checkpoint.Version + 1)
            {
                throw new CheckpointCorruptedException(
                    changeSource, null, $"expected the change to version {checkpoint.Version + 1}, found one to version {change.Version}");
            }

            checkpoint = change.ApplyTo(checkpoint);
        }

        if (checkpoint.Version != version)
        {
            throw new CheckpointCorruptedException(source, null, $"the row is at version {version} but its document and changes reach only {checkpoint.Version}");
        }

        return new LoadedCheckpoint(checkpoint, leased, changeBytes);
    }

    private async Task<CardState?> InspectAsync(NpgsqlConnection connection, string cardId, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(_sql.Inspect, connection);
        command.Parameters.AddWithValue("card", cardId);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new CardState(
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetBoolean(3),
            reader.GetBoolean(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
    }

    /// <summary>Raises the error a fenced write that matched no row deserves, if the fence (not the version) refused it.</summary>
    private void ThrowIfFenced(string cardId, CardLease? lease, CardState? state)
    {
        if (lease is not null)
        {
            if (state is null || state.Token != lease.Token || !string.Equals(state.Owner, lease.WorkerId, StringComparison.Ordinal))
            {
                if (lease.MarkLost())
                {
                    PostgreSqlLog.LeaseLost(_logger, cardId, lease.Token);
                }

                throw new CheckpointLeaseLostException(cardId, lease.Token, state?.Token ?? 0, state is { Leased: true } ? state.Owner : null);
            }
        }
        else if (state is { Leased: true })
        {
            throw Locked(cardId, state, TimeSpan.Zero);
        }
    }

    private CheckpointLockedException Locked(string cardId, CardState? state, TimeSpan waited, bool heldHere = false)
    {
        var holder = heldHere
            ? "held by another handle of this repository"
            : state is { Leased: true }
                ? string.Create(CultureInfo.InvariantCulture, $"leased by worker '{state.Owner}' with fencing token {state.Token} until {state.LeaseExpiresAt:O} (database clock)")
                : "lease just released";
        return new CheckpointLockedException(cardId, $"postgresql://{_host}:{_port}/{_database} {_schema.Name}.checkpoints card '{cardId}', {holder}", waited);
    }

    private async Task<CardLease?> TakeLeaseAsync(NpgsqlConnection connection, string cardId, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(_sql.Acquire, connection);
        command.Parameters.AddWithValue("card", cardId);
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("lease", _options.LeaseDuration);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var lease = new CardLease(this, cardId, WorkerId, reader.GetInt64(0), _options.LeaseDuration, reader.GetFieldValue<DateTimeOffset>(1), fromClaim: false);
        PostgreSqlLog.LeaseAcquired(_logger, cardId, WorkerId, lease.Token, lease.ExpiresAt);
        return lease;
    }

    private CardClaim Register(CardLease lease)
    {
        var registered = false;
        lock (_leasesGate)
        {
            if (Volatile.Read(ref _disposed) == 0 && _leases.TryAdd(lease.CardId, lease))
            {
                registered = true;
            }
        }

        if (!registered)
        {
            // Disposed meanwhile, or (cannot happen while the database grants one valid lease per card) held here already.
            lease.Released = true;
            _ = ReleaseInDatabaseAsync(lease);
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            throw new CheckpointLockedException(lease.CardId, $"{_schema.Name}.checkpoints card '{lease.CardId}', held by another handle of this repository", TimeSpan.Zero);
        }

        lease.Renewal = Task.Run(() => RenewLoopAsync(lease));
        return new CardClaim(lease, adopter: false);
    }

    private async Task RenewLoopAsync(CardLease lease)
    {
        var period = lease.Duration / 3;
        using var timer = new PeriodicTimer(period > TimeSpan.FromMilliseconds(1) ? period : TimeSpan.FromMilliseconds(1), _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(lease.Stop.Token).ConfigureAwait(false))
            {
                if (LeaseRenewalSuspended || lease.RenewalSuspended)
                {
                    continue;
                }

                try
                {
                    var expiresAt = await RunAsync(async (connection, ct) =>
                    {
                        using var command = new NpgsqlCommand(_sql.Renew, connection);
                        command.Parameters.AddWithValue("card", lease.CardId);
                        command.Parameters.AddWithValue("token", lease.Token);
                        command.Parameters.AddWithValue("worker", lease.WorkerId);
                        command.Parameters.AddWithValue("lease", lease.Duration);
                        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) as DateTime?;
                    }, lease.Stop.Token).ConfigureAwait(false);
                    if (expiresAt is null)
                    {
                        if (lease.MarkLost())
                        {
                            PostgreSqlLog.LeaseLost(_logger, lease.CardId, lease.Token);
                        }

                        return;
                    }

                    lease.ExpiresAt = new DateTimeOffset(DateTime.SpecifyKind(expiresAt.Value, DateTimeKind.Utc));
                }
                catch (CheckpointException ex)
                {
                    PostgreSqlLog.LeaseRenewalFailed(_logger, lease.CardId, lease.Token, ex);
                }
            }
        }
        catch (OperationCanceledException) when (lease.Stop.IsCancellationRequested)
        {
        }
    }

    private async Task ReleaseInDatabaseAsync(CardLease lease)
    {
        await lease.Stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await lease.Renewal.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        try
        {
            await RunAsync(async (connection, ct) =>
            {
                using var command = new NpgsqlCommand(_sql.Release, connection);
                command.Parameters.AddWithValue("card", lease.CardId);
                command.Parameters.AddWithValue("token", lease.Token);
                command.Parameters.AddWithValue("worker", lease.WorkerId);
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }, CancellationToken.None).ConfigureAwait(false);
            PostgreSqlLog.LeaseReleased(_logger, lease.CardId, lease.Token);
        }
        catch (CheckpointException ex)
        {
            PostgreSqlLog.LeaseReleaseFailed(_logger, lease.CardId, lease.Token, ex);
        }
        finally
        {
            lease.Stop.Dispose();
        }
    }

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

    private Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        Task ready;
        lock (_schemaGate)
        {
            if (_schemaReady is null || _schemaReady.IsFaulted || _schemaReady.IsCanceled)
            {
                _schemaReady = _options.MigrateAutomatically ? MigrateToAsync(PostgreSqlSchema.LatestVersion, CancellationToken.None) : CheckSchemaAsync();
            }

            ready = _schemaReady;
        }

        return ready.IsCompletedSuccessfully ? Task.CompletedTask : ready.WaitAsync(cancellationToken);
    }

    private Task CheckSchemaAsync() =>
        GuardAsync(async () =>
        {
            var connection = await _open(CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var version = await _schema.ReadVersionAsync(connection, CancellationToken.None).ConfigureAwait(false);
                if (version > PostgreSqlSchema.LatestVersion)
                {
                    throw NewerSchema(version);
                }

                if (version < PostgreSqlSchema.LatestVersion)
                {
                    throw new CheckpointException(
                        $"The PostgreSQL checkpoint schema '{_schema.Name}' is at migration {version}, this code needs {PostgreSqlSchema.LatestVersion}, and "
                        + "MigrateAutomatically is off: run PostgreSqlCheckpointRepository.MigrateAsync first.");
                }
            }

            return true;
        });

    private CheckpointVersionException NewerSchema(int found) =>
        new($"postgresql://{_host}:{_port}/{_database} schema {_schema.Name} (schema_migrations)", found, PostgreSqlSchema.LatestVersion);

    private async Task<T> GuardAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new CheckpointStorePermissionException(_schema.Name, _user, ex);
        }
        catch (PostgresException ex) when (IsConnectionFailure(ex.SqlState))
        {
            throw new CheckpointStoreUnavailableException(_host, _port, _database, ex);
        }
        catch (PostgresException ex)
        {
            throw new CheckpointException(
                $"The PostgreSQL checkpoint store at {_host}:{_port} (database '{_database}', schema '{_schema.Name}') failed: {ex.SqlState}: {ex.MessageText}", ex);
        }
        catch (NpgsqlException ex)
        {
            // Not a server error: the connection could not be made or broke (refused, DNS, timeout, reset).
            throw new CheckpointStoreUnavailableException(_host, _port, _database, ex);
        }
        catch (SocketException ex)
        {
            throw new CheckpointStoreUnavailableException(_host, _port, _database, ex);
        }
    }

    private static bool IsConnectionFailure(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
        || sqlState.StartsWith("28", StringComparison.Ordinal) // invalid authorization (bad password, no pg_hba entry)
        || sqlState == PostgresErrorCodes.InvalidCatalogName // the database does not exist
        || sqlState == PostgresErrorCodes.TooManyConnections
        || sqlState == PostgresErrorCodes.AdminShutdown
        || sqlState == PostgresErrorCodes.CrashShutdown
        || sqlState == PostgresErrorCodes.CannotConnectNow;

    private sealed record LoadedCheckpoint(PipelineCheckpoint Checkpoint, bool Leased, long ChangeBytes);

    private sealed record CardState(long Version, long Token, string? Owner, bool Leased, bool HasDocument, DateTimeOffset? LeaseExpiresAt);
}
