using System.Buffers;
using Checkpointing.Json;
using Microsoft.Extensions.Logging;

namespace Checkpointing.FileStore;

/// <summary>
/// The writer's view of one card while its lock is held: the state on disk, the open journal, and the sizes that
/// decide when to compact. Only the lock holder has one, so the state cannot change behind its back.
/// </summary>
internal sealed class CardSession : IAsyncDisposable
{
    /// <summary>The most disk reserved ahead for a journal.</summary>
    private const long MaxJournalReservation = 256L << 20;

    /// <summary>The least and the most zero-filled space written ahead of the journal's records at a time.</summary>
    private const long MinZeroFill = 4 << 10, MaxZeroFill = 1 << 20;

    /// <summary>The block to which the zero-filled space is aligned.</summary>
    private const long ZeroFillAlignment = 4 << 10;

    /// <summary>The zeros written after a record; the same buffer is repeated as often as needed.</summary>
    private static readonly ReadOnlyMemory<byte> Zeros = new byte[64 << 10];

    private readonly FileStream _lock;
    private readonly FileSystemCheckpointRepositoryOptions _options;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private FileStream? _journal;
    private long _journalOffset;
    private long _journalZeroedEnd;
    private long _journalRecordBytes;
    private long _snapshotBytes;
    private bool _loaded;

    public CardSession(string cardId, CardPaths paths, FileStream lockFile, FileSystemCheckpointRepositoryOptions options, ILogger logger)
    {
        CardId = cardId;
        Paths = paths;
        _lock = lockFile;
        _options = options;
        _logger = logger;
    }

    /// <summary>Gets the card.</summary>
    public string CardId { get; }

    /// <summary>Gets the card's files.</summary>
    public CardPaths Paths { get; }

    /// <summary>Gets the gate that orders this session's operations.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Gets the state on disk, once loaded; <see langword="null"/> when none is stored.</summary>
    public PipelineCheckpoint? Current { get; private set; }

    private long StoredVersion => Current?.Version ?? 0;

    /// <summary>Reads the state from disk once, cutting a torn journal tail (this session owns the card).</summary>
    public async Task<PipelineCheckpoint?> LoadAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return Current;
        }

        var snapshotBytes = await DurableFile.ReadAllAsync(Paths.Snapshot, _options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        if (snapshotBytes is null)
        {
            Current = null;
            _loaded = true;
            return null;
        }

        var snapshot = CheckpointJsonReader.ReadSnapshot(snapshotBytes, new JsonReadContext(Paths.Snapshot, DeferResponseText: true));
        SnapshotDocument.EnsureCardId(snapshot, CardId, Paths.Snapshot);
        var journalBytes = await DurableFile.ReadAllAsync(Paths.Journal, _options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        var state = JournalReplay.Replay(journalBytes, Paths.Journal, snapshot);
        if (state.HasTornTail)
        {
            TruncateJournal(state.ValidLength);
            Log.TornTailCut(_logger, Paths.Journal, state.FileLength - state.ValidLength, state.ValidLength);
        }
        else if (journalBytes is not null && !state.IsCurrent)
        {
            Log.StaleJournalIgnored(_logger, Paths.Journal);
        }

        Current = state.Checkpoint;
        _snapshotBytes = snapshotBytes.Length;
        if (state.IsCurrent)
        {
            _journal = OpenJournal();
            _journalOffset = state.ValidLength;
            _journalZeroedEnd = state.HasTornTail ? state.ValidLength : state.FileLength;
            _journalRecordBytes = state.ValidLength - JournalFormat.HeaderSize;
        }

        _loaded = true;
        return Current;
    }

    /// <summary>Stores a whole checkpoint as a new snapshot generation.</summary>
    public async Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        EnsureVersion(checkpoint.Version);
        await WriteSnapshotAsync(checkpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores a whole checkpoint at its own version as a new snapshot generation, if <paramref name="expectedStoredVersion"/> is stored.</summary>
    public async Task ImportAsync(PipelineCheckpoint checkpoint, long? expectedStoredVersion, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (Current?.Version != expectedStoredVersion)
        {
            throw new CheckpointConflictException(CardId, StoredVersion, checkpoint.Version, expectedStoredVersion);
        }

        await WriteSnapshotAsync(checkpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends one change to the journal (fdatasync'd), compacting when the journal outgrows the snapshot.</summary>
    public async Task SaveChangeAsync(PipelineCheckpoint checkpoint, CheckpointChange change, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        EnsureVersion(change.Version);
        if (_journal is null || Current is null)
        {
            await WriteSnapshotAsync(checkpoint, cancellationToken).ConfigureAwait(false);
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        Append(change);
        Current = checkpoint;
        if (_journalRecordBytes > Math.Max(_snapshotBytes, _options.MinCompactionBytes))
        {
            try
            {
                await WriteSnapshotAsync(checkpoint, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                Log.CompactionFailed(_logger, CardId, ex);
            }
        }
    }

    /// <summary>Folds the journal into a new snapshot, if it holds anything.</summary>
    public async Task CompactAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (Current is not null && (_journal is null || _journalRecordBytes > 0))
        {
            await WriteSnapshotAsync(Current, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the card's files: the snapshot first, so a crash in between leaves a journal that is ignored.</summary>
    public bool Delete()
    {
        CloseJournal();
        var existed = File.Exists(Paths.Snapshot);
        File.Delete(Paths.Snapshot);
        PosixFileSync.SyncDirectory(Paths.Directory);
        File.Delete(Paths.Journal);
        PosixFileSync.SyncDirectory(Paths.Directory);
        Current = null;
        _loaded = true;
        return existed;
    }

    /// <summary>Removes temporary files of this card left by a crash; safe because this session holds the lock.</summary>
    public void RemoveOrphanedTempFiles()
    {
        foreach (var temp in Directory.EnumerateFiles(Paths.Directory, Paths.TempPattern).Where(Paths.IsTempFileOfThisCard))
        {
            DurableFile.TryDelete(temp);
            Log.TempFileRemoved(_logger, temp);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        CloseJournal();
        await CardLock.ReleaseAsync(_lock).ConfigureAwait(false);
        Gate.Dispose();
    }

    private void EnsureVersion(long newVersion)
    {
        CheckpointConflictException.ThrowIfNotNext(CardId, StoredVersion, newVersion);
    }

    /// <summary>
    /// Writes one record and fdatasyncs it. Records overwrite zeros written earlier, so most appends change no file
    /// metadata (no new block, no new length) and fdatasync only flushes data: on ext4 that costs about 40% less than
    /// extending the file, and it does not grow with the journal. When a record does not fit in the zero-filled space,
    /// the same write extends that space (the way PostgreSQL zero-fills its WAL segments).
    /// </summary>
    private void Append(CheckpointChange change)
    {
        _buffer.ResetWrittenCount();
        JournalFormat.Reserve(_buffer);
        CheckpointJsonWriter.WriteChange(_buffer, change);
        var record = JournalFormat.Seal(_buffer);
        var journal = _journal!;
        var end = _journalOffset + record.Length;
        try
        {
            if (end <= _journalZeroedEnd)
            {
                RandomAccess.Write(journal.SafeFileHandle, record.Span, _journalOffset);
            }
            else
            {
                // Never past MaxFileBytes: zeros must not make a journal too large to load.
                var zeroedEnd = Math.Max(end, Math.Min(AlignUp(end + ZeroFill(), ZeroFillAlignment), _options.MaxFileBytes));
                try
                {
                    RandomAccess.Write(journal.SafeFileHandle, zeroedEnd > end ? WithZerosAfter(record, zeroedEnd - end) : [record], _journalOffset);
                }
                catch (IOException) when (zeroedEnd > end)
                {
                    // No room for the zeros (a nearly full disk): the record alone may still fit. Whatever part of the
                    // first write landed is this record's bytes, then zeros, so writing the record again is enough.
                    RandomAccess.Write(journal.SafeFileHandle, record.Span, _journalOffset);
                    zeroedEnd = end;
                }

                _journalZeroedEnd = zeroedEnd;
            }

            PosixFileSync.DataSync(journal);
        }
        catch
        {
            // Leave no partial record behind (a full disk, say), durably: bytes of this record that reached the disk must
            // not come back after a power loss. If even that fails, the next load cuts them as a torn tail.
            _journalZeroedEnd = _journalOffset;
            try
            {
                journal.SetLength(_journalOffset);
                PosixFileSync.DataSync(journal);
            }
            catch (IOException)
            {
                CloseJournal();
            }

            throw;
        }

        _journalOffset = end;
        _journalRecordBytes += record.Length;
    }

    /// <summary>How much zero-filled space to keep ahead: about what the journal takes before its next compaction, within bounds.</summary>
    private long ZeroFill() => Math.Clamp(Math.Max(_snapshotBytes, _options.MinCompactionBytes), MinZeroFill, MaxZeroFill);

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    private static ReadOnlyMemory<byte>[] WithZerosAfter(ReadOnlyMemory<byte> record, long zeros)
    {
        var buffers = new ReadOnlyMemory<byte>[1 + (int)((zeros + Zeros.Length - 1) / Zeros.Length)];
        buffers[0] = record;
        for (var i = 1; i < buffers.Length; i++, zeros -= Zeros.Length)
        {
            buffers[i] = Zeros[..(int)Math.Min(zeros, Zeros.Length)];
        }

        return buffers;
    }

    /// <summary>
    /// Compacts: the new journal generation is prepared first (so a full disk fails before anything changes), then the
    /// snapshot naming it replaces the old one, then the new journal replaces the old, now stale, journal.
    /// </summary>
    private async Task WriteSnapshotAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var journalId = JournalFormat.NewId();
        var buffer = new ArrayBufferWriter<byte>(checked((int)Math.Min(Math.Max(_snapshotBytes * 2, 4096), Array.MaxLength)));
        CheckpointJsonWriter.WriteSnapshot(buffer, checkpoint, journalId);

        // Reserve the journal's disk space up to the size at which it is compacted again: appends then fill one
        // contiguous extent instead of allocating (and fragmenting) a little more on every fdatasync'd record, which
        // made an append at 60 MB cost 1.6 times one at 1 MB.
        var reserve = Math.Min(Math.Max(buffer.WrittenCount, _options.MinCompactionBytes), MaxJournalReservation);
        var newJournal = await DurableFile.PrepareAsync(Paths.Journal, JournalFormat.CreateHeader(journalId), reserve, cancellationToken)
            .ConfigureAwait(false);
        try
        {
            await DurableFile.ReplaceAsync(Paths.Snapshot, buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            DurableFile.TryDelete(newJournal);
            throw;
        }

        var previousJournalBytes = _journalRecordBytes;
        CloseJournal();
        Current = checkpoint;
        _snapshotBytes = buffer.WrittenCount;
        _journalRecordBytes = 0;

        // The snapshot is durable and complete; the old journal is now stale. A failure below only costs a rewrite later.
        DurableFile.Commit(newJournal, Paths.Journal);
        _journal = OpenJournal();
        _journalOffset = JournalFormat.HeaderSize;
        _journalZeroedEnd = JournalFormat.HeaderSize;
        Log.Compacted(_logger, CardId, previousJournalBytes, _snapshotBytes, checkpoint.Version);
    }

    private FileStream OpenJournal() =>
        new(Paths.Journal, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

    private void TruncateJournal(long length)
    {
        using var journal = OpenJournal();
        journal.SetLength(length);
        journal.Flush(flushToDisk: true);
    }

    private void CloseJournal()
    {
        _journal?.Dispose();
        _journal = null;
    }
}
