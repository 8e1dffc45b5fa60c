using System.Buffers;
using Checkpointing.Json;
using Microsoft.Extensions.Logging;

namespace Checkpointing.FileStore;

/// <summary>
/// The writer's view of one card while its lock is held: the state on disk, the open journal, and the sizes that
/// decide when to compact. Only the lock holder has one, so the state cannot change behind its back. Compaction runs
/// in the background (see <c>CardSession.Compaction.cs</c>); a save only ever waits for its own append.
/// </summary>
internal sealed partial class CardSession : IAsyncDisposable
{
    /// <summary>The most disk reserved ahead for a journal.</summary>
    private const long MaxJournalReservation = 256L << 20;

    /// <summary>The least and the most zero-filled space written ahead of the journal's records at a time.</summary>
    private const long MinZeroFill = 4 << 10, MaxZeroFill = 1 << 20;

    /// <summary>The block to which the zero-filled space is aligned.</summary>
    private const long ZeroFillAlignment = 4 << 10;

    /// <summary>The length of <see cref="Zeros"/> (a constant, so that its mutants are not in a static initializer, which every test runs).</summary>
    private const int ZerosLength = 64 << 10;

    /// <summary>The zeros written after a record; the same buffer is repeated as often as needed.</summary>
    private static readonly ReadOnlyMemory<byte> Zeros = new byte[ZerosLength];

    private readonly FileStream _lock;
    private readonly FileSystemCheckpointRepositoryOptions _options;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private FileStream? _journal;
    private string? _journalId;
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

        // Stryker disable once Boolean : decoding the response texts now or on first use gives the same strings (only memory differs)
        var snapshot = CheckpointJsonReader.ReadSnapshot(snapshotBytes, new JsonReadContext(Paths.Snapshot, DeferResponseText: true));
        SnapshotDocument.EnsureCardId(snapshot, CardId, Paths.Snapshot);
        var journalBytes = await DurableFile.ReadAllAsync(Paths.Journal, _options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        var successorBytes = await DurableFile.ReadAllAsync(Paths.Successor, _options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        var chain = JournalChain.Replay(journalBytes, successorBytes, Paths, snapshot);
        var state = chain.Active;
        var activePath = chain.ActiveIsSuccessor ? Paths.Successor : Paths.Journal;
        if (state.HasTornTail)
        {
            TruncateJournal(activePath, state.ValidLength);
            Log.TornTailCut(_logger, activePath, state.FileLength - state.ValidLength, state.ValidLength);
        }
        else if (journalBytes is not null && !state.IsCurrent)
        {
            Log.StaleJournalIgnored(_logger, Paths.Journal);
        }

        Current = state.Checkpoint;
        _snapshotBytes = snapshotBytes.Length;
        if (state.IsCurrent)
        {
            _journal = OpenJournal(activePath);
            _journalId = chain.ActiveIsSuccessor ? JournalFormat.ReadHeader(successorBytes, Paths.Successor) : snapshot.JournalId;
            _journalOffset = state.ValidLength;
            _journalZeroedEnd = state.HasTornTail ? state.ValidLength : state.FileLength;
            _journalRecordBytes = state.ValidLength - JournalFormat.HeaderSize;
            ResumeInterruptedCompaction(chain);
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

    /// <summary>
    /// Appends one change to the journal (fdatasync'd) and returns: when the journal outgrows the snapshot, a background
    /// compaction folds it into a new snapshot while the next appends go to a new journal generation.
    /// </summary>
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
        CompactInBackgroundIfDue();
    }

    /// <summary>Folds the journal into a new snapshot, if it holds anything; returns once that snapshot is in place.</summary>
    public async Task CompactAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        await CompactNowAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the card's files: the snapshot first, so a crash in between leaves journals that are ignored.</summary>
    public async Task<bool> DeleteAsync()
    {
        await WaitForBackgroundAsync().ConfigureAwait(false);
        _retired.StepBytes = RetiredFile.ClosingStepBytes;
        DiscardSuccessor();
        CloseJournal();
        var existed = File.Exists(Paths.Snapshot);
        DurableFile.Delete(Paths.Snapshot, _retired);

        // Stryker disable once Statement : an fsync; only a power cut shows it
        PosixFileSync.SyncDirectory(Paths.Directory);
        DurableFile.Delete(Paths.Journal, _retired);
        DurableFile.Delete(Paths.Successor, _retired);

        // Stryker disable once Statement : an fsync; only a power cut shows it
        PosixFileSync.SyncDirectory(Paths.Directory);
        _retired.ReleaseAll();
        _retired.StepBytes = RetiredFile.StepBytes; // the owner may write the card again
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

    /// <summary>
    /// Waits for a background compaction (the lock must outlive it) and makes one that is due (the journal outgrew the
    /// snapshot, or a fold failed), then closes the journals and releases the lock. A failure to compact is logged:
    /// every change is durable in the journals already.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await WaitForBackgroundAsync().ConfigureAwait(false);
        _retired.StepBytes = RetiredFile.ClosingStepBytes;
        if (_unfolded is not null || (_journal is not null && _journalRecordBytes > CompactionThreshold))
        {
            try
            {
                await CompactNowAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CheckpointTooLargeException)
            {
                Log.CompactionFailed(_logger, CardId, ex);
            }
        }

        DiscardSuccessor();
        TrimZeroFill();
        CloseJournal();
        _retired.ReleaseAll();
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
        if (end > _options.MaxFileBytes)
        {
            throw CheckpointTooLargeException.ForWrite(journal.Name, end, _options.MaxFileBytes);
        }

        try
        {
            if (end <= _journalZeroedEnd)
            {
                RandomAccess.Write(journal.SafeFileHandle, record.Span, _journalOffset);
            }
            else
            {
                // Never past MaxFileBytes: zeros must not make a journal too large to load.
                _options.BackgroundActivity?.Invoke("journal", "extending");
                var zeroedEnd = Math.Max(end, Math.Min(AlignUp(end + ZeroFill(), ZeroFillAlignment), _options.MaxFileBytes));
                try
                {
                    RandomAccess.Write(journal.SafeFileHandle, WithZerosAfter(record, zeroedEnd - end), _journalOffset);
                }
                catch (IOException) when (zeroedEnd != end)
                {
                    // No room for the zeros (a nearly full disk): the record alone may still fit. Whatever part of the
                    // first write landed is this record's bytes, then zeros, so writing the record again is enough.
                    RandomAccess.Write(journal.SafeFileHandle, record.Span, _journalOffset);
                    zeroedEnd = end;
                }

                _journalZeroedEnd = zeroedEnd;
                _options.BackgroundActivity?.Invoke("journal", "idle");
            }

            // Stryker disable once Statement : an fdatasync; only a power cut shows it
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

                // Stryker disable once Statement : an fdatasync; only a power cut shows it
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
    private long ZeroFill() => Math.Clamp(Math.Max(Volatile.Read(ref _snapshotBytes), _options.MinCompactionBytes), MinZeroFill, MaxZeroFill);

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    /// <summary>The buffers that write <paramref name="record"/> and then <paramref name="zeros"/> zero bytes: the record alone when there are none.</summary>
    internal static ReadOnlyMemory<byte>[] WithZerosAfter(ReadOnlyMemory<byte> record, long zeros)
    {
        var buffers = new ReadOnlyMemory<byte>[1 + (int)((zeros + Zeros.Length - 1) / Zeros.Length)];
        buffers[0] = record;
        for (var i = 1; i < buffers.Length; i++, zeros -= Zeros.Length)
        {
            buffers[i] = Zeros[..(int)Math.Min(zeros, Zeros.Length)];
        }

        return buffers;
    }

    private static FileStream OpenJournal(string path) =>
        new(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

    private static void TruncateJournal(string path, long length)
    {
        using var journal = OpenJournal(path);
        journal.SetLength(length);

        // Stryker disable once Statement,Boolean : an fsync; only a power cut shows it
        journal.Flush(flushToDisk: true);
    }

    /// <summary>
    /// When the owner lets go: cuts the zeros kept ahead of the appends when there are more than an append ever writes
    /// (a successor zero-filled in the background), so that the next load does not read them, and frees the disk the
    /// journal reserved past its end for appends that will not come (up to a few times the snapshot's size, which a
    /// closed card would otherwise keep). Only zeros go: a failure leaves them, and a load reads past them.
    /// </summary>
    private void TrimZeroFill()
    {
        if (_journal is null)
        {
            return;
        }

        try
        {
            // A step at a time: tens of megabytes freed at once would make other cards' appends wait.
            var length = _journalZeroedEnd - _journalOffset > MaxZeroFill + ZeroFillAlignment ? _journalOffset : _journal.Length;
            RetiredFile.Shrink(_journal, length, _retired.StepBytes, maxLength: _options.MaxFileBytes);
        }
        catch (IOException)
        {
            // The zeros stay; nothing else changed.
        }
    }

    private void CloseJournal()
    {
        _journal?.Dispose();
        _journal = null;
        _journalId = null;
    }
}
