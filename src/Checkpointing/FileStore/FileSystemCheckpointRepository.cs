using System.Collections.Concurrent;
using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.Ownership;
using Microsoft.Extensions.Logging;

namespace Checkpointing;

/// <summary>
/// Checkpoints as files in one directory: <c>&lt;card&gt;.json</c>, a complete document the Python manager can read,
/// and <c>&lt;card&gt;.journal</c>, an append-only log of the changes since, each fdatasync'd before its call returns.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A save costs what the change costs: it appends one checksummed record. When the journal outgrows the
/// document, the appends move to a successor journal and the journal is folded into a new document (written to a temp
/// file, fsync'd, renamed over the old one, directory fsync'd) in the background; no save waits for it.
/// <see cref="CompactAsync"/> folds and waits.</item>
/// <item>One owner per card: <see cref="AcquireOwnershipAsync"/> holds an OS lock on <c>&lt;card&gt;.lock</c> until
/// disposed or its process dies. Writes without ownership take the lock for their duration.</item>
/// <item>Loading needs no lock and never sees a partial document; a torn last journal record is ignored (and cut off
/// by the next owner), a corrupt earlier one raises <see cref="CheckpointCorruptedException"/> naming file and offset.</item>
/// <item>Files are created with mode 0600 and the directory with 0700.</item>
/// </list>
/// </remarks>
public sealed class FileSystemCheckpointRepository : ICheckpointRepository, IAsyncDisposable
{
    /// <summary>How many times a read without the lock reads a journal that looks damaged before reporting it.</summary>
    private const int UnlockedReadAttempts = 3;

    private readonly ConcurrentDictionary<string, CardSession> _owned = new(StringComparer.Ordinal);
    private readonly FileSystemCheckpointRepositoryOptions _options;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="FileSystemCheckpointRepository"/> class.</summary>
    /// <param name="directory">The checkpoint directory; created (mode 0700) if missing.</param>
    /// <exception cref="NotSupportedException">.NET file locking is disabled in this process.</exception>
    public FileSystemCheckpointRepository(string directory)
        : this(directory, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="FileSystemCheckpointRepository"/> class.</summary>
    /// <param name="directory">The checkpoint directory; created (mode 0700) if missing.</param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where recovery actions (torn tails cut, temp files removed, lock waits) are logged.</param>
    /// <exception cref="NotSupportedException">.NET file locking is disabled in this process.</exception>
    public FileSystemCheckpointRepository(string directory, FileSystemCheckpointRepositoryOptions? options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        CardLock.EnsureLockingEnabled();
        _options = options ?? new FileSystemCheckpointRepositoryOptions();
        _options.Validate();
        _logger = LoggerFactories.Create<FileSystemCheckpointRepository>(loggerFactory);
        Directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        CreateDirectory(Directory);
    }

    /// <summary>Gets the full path of the checkpoint directory.</summary>
    public string Directory { get; }

    /// <summary>Gets the path of the document file of a card (it may not exist).</summary>
    /// <param name="cardId">The card.</param>
    /// <returns>The path, always inside <see cref="Directory"/>.</returns>
    /// <exception cref="ArgumentException">The id is empty, white space or has control characters.</exception>
    public string GetSnapshotPath(string cardId) => CardPaths.For(Directory, cardId).Snapshot;

    /// <inheritdoc/>
    public async Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken = default)
    {
        var paths = CardPaths.For(Directory, cardId);
        if (_owned.TryGetValue(paths.BaseName, out var session))
        {
            // The gate inline rather than through WithGateAsync: one state machine fewer on a resume's path.
            await session.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await session.LoadAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                session.Gate.Release();
            }
        }

        // Without the lock, an owner may be writing while this reads. A read is not atomic with a write: it can copy a
        // page of the zero-filled space before a record lands there and later pages after the next records did, which
        // looks like a damaged record followed by intact ones. And a file that a compaction replaced while this read it
        // is cut short as its space is freed (RetiredFile). Damage on disk stays; such a view does not: read again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ReadUnlockedAsync(cardId, paths, cancellationToken).ConfigureAwait(false);
            }
            catch (CheckpointCorruptedException ex) when (attempt < UnlockedReadAttempts && (ex.Path == paths.Journal || ex.Path == paths.Successor || ex.Path == paths.Snapshot))
            {
            }
        }
    }

    private async Task<PipelineCheckpoint?> ReadUnlockedAsync(string cardId, CardPaths paths, CancellationToken cancellationToken)
    {
        // Read the journals before the snapshot, the successor first. Compaction switches the appends to the successor,
        // then writes the snapshot naming it, then renames it over the journal. So a successor read with records means
        // the journal read next is complete; and whichever snapshot is read last, the journals read are its
        // continuation, or older ones it already holds (see JournalChain).
        var successor = await DurableFile.ReadAllAsync(paths.Successor, _options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        var journal = await DurableFile.ReadAllAsync(paths.Journal, _options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        var snapshotBytes = await DurableFile.ReadAllAsync(paths.Snapshot, _options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        if (snapshotBytes is null)
        {
            return null;
        }

        var snapshot = CheckpointJsonReader.ReadSnapshot(snapshotBytes, new JsonReadContext(paths.Snapshot, DeferResponseText: true));
        SnapshotDocument.EnsureCardId(snapshot, cardId, paths.Snapshot);
        return JournalChain.Replay(journal, successor, paths, snapshot).Checkpoint;
    }

    /// <inheritdoc/>
    public Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(File.Exists(CardPaths.For(Directory, cardId).Snapshot));
    }

    /// <inheritdoc/>
    public Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default) =>
        WriteAsync(cardId, session => session.DeleteAsync(), cancellationToken);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken = default)
    {
        var ids = new List<string>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*" + CardPaths.SnapshotExtension))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var baseName = Path.GetFileNameWithoutExtension(file);
            var id = CardFileName.IsHashed(baseName)
                ? await ReadCardIdAsync(file, cancellationToken).ConfigureAwait(false)
                : CardFileName.TryFromBaseName(baseName);
            if (id is not null && string.Equals(CardFileName.ToBaseName(id), baseName, StringComparison.Ordinal))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <inheritdoc/>
    public Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return WriteAsync(checkpoint.CardId, async session =>
        {
            await session.SaveAsync(checkpoint, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task SaveChangeAsync(AppliedChange applied, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(applied);
        return WriteAsync(applied.Checkpoint.CardId, async session =>
        {
            await session.SaveChangeAsync(applied.Checkpoint, applied.Change, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task ImportAsync(PipelineCheckpoint checkpoint, long? expectedStoredVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return WriteAsync(checkpoint.CardId, async session =>
        {
            await session.ImportAsync(checkpoint, expectedStoredVersion, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task CompactAsync(string cardId, CancellationToken cancellationToken = default) =>
        WriteAsync(cardId, async session =>
        {
            await session.CompactAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <inheritdoc/>
    public async Task<CheckpointOwnership> AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var session = await OpenSessionAsync(cardId, timeout, cancellationToken).ConfigureAwait(false);
        if (!_owned.TryAdd(session.Paths.BaseName, session))
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw new CheckpointLockedException(cardId, session.Paths.Lock, TimeSpan.Zero);
        }

        return new Ownership(this, session, cardId);
    }

    /// <summary>Releases the card locks this repository still holds (ownership handles not yet disposed).</summary>
    /// <returns>A task that completes when they are released.</returns>
    public async ValueTask DisposeAsync()
    {
        foreach (var session in _owned.Values)
        {
            await ReleaseAsync(session).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates the checkpoint directory (mode 0700) if missing, durably (its parent is fsync'd), saying what to do when
    /// it cannot be.
    /// </summary>
    /// <exception cref="IOException">The path is a file, or the directory cannot be created there.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory may not be created there.</exception>
    private static void CreateDirectory(string directory)
    {
        const string Fix = "Set CheckpointManagerOptions.CheckpointDirectory (or $" + CheckpointManagerOptions.DirectoryEnvironmentVariable
            + ") to a writable directory.";
        if (File.Exists(directory))
        {
            throw new IOException($"The checkpoint directory '{directory}' is a file, not a directory. {Fix}");
        }

        try
        {
            DurableDirectory.Create(directory);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"The checkpoint directory '{directory}' may not be created: {ex.Message} {Fix}", ex);
        }
        catch (IOException ex)
        {
            throw new IOException($"The checkpoint directory '{directory}' cannot be created: {ex.Message} {Fix}", ex);
        }
    }

    private async Task<CardSession> OpenSessionAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var paths = CardPaths.For(Directory, cardId);
        var (lockFile, waited) = await CardLock.AcquireAsync(
            cardId, paths.Lock, timeout, _options.LockPollInterval, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        if (waited is { } wait)
        {
            Log.LockWaited(_logger, cardId, paths.Lock, wait.TotalMilliseconds);
        }

        var session = new CardSession(cardId, paths, lockFile, _options, _logger);
        session.RemoveOrphanedTempFiles();
        return session;
    }

    private async Task<T> WriteAsync<T>(string cardId, Func<CardSession, Task<T>> write, CancellationToken cancellationToken)
    {
        var paths = CardPaths.For(Directory, cardId);
        if (_owned.TryGetValue(paths.BaseName, out var owned))
        {
            return await WithGateAsync(owned, write, cancellationToken).ConfigureAwait(false);
        }

        var session = await OpenSessionAsync(cardId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            return await write(session).ConfigureAwait(false);
        }
    }

    private static async Task<T> WithGateAsync<T>(CardSession session, Func<CardSession, Task<T>> action, CancellationToken cancellationToken)
    {
        await session.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await action(session).ConfigureAwait(false);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>Reads <c>card_id</c> from the start of a document, without reading (or size-checking) the whole file.</summary>
    private static async Task<string?> ReadCardIdAsync(string file, CancellationToken cancellationToken)
    {
        var buffer = new byte[SnapshotCardId.PrefixBytes];
        int read;
        try
        {
            var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            await using (stream.ConfigureAwait(false))
            {
                read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        return SnapshotCardId.TryRead(buffer.AsSpan(0, read), isWholeDocument: read < buffer.Length);
    }

    /// <summary>Releases an owned card once (its handle or the repository's disposal, whichever comes first), after the write in flight.</summary>
    private async Task ReleaseAsync(CardSession session)
    {
        if (!_owned.TryRemove(new KeyValuePair<string, CardSession>(session.Paths.BaseName, session)))
        {
            return;
        }

        await session.Gate.WaitAsync().ConfigureAwait(false);
        session.Gate.Release();
        await session.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class Ownership(FileSystemCheckpointRepository repository, CardSession session, string cardId)
        : CheckpointOwnership(cardId, OwnerIds.New())
    {
        protected override ValueTask ReleaseAsync() => new(repository.ReleaseAsync(session));
    }
}
