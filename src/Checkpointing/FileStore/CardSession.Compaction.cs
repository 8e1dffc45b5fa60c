using System.Buffers;
using Checkpointing.Json;
using Checkpointing.Models;

namespace Checkpointing.FileStore;

/// <summary>
/// Compaction. A save never waits for one: when the journal outgrows the snapshot, the save that crossed the line
/// switches the appends to a successor journal prepared in advance (header only, durable) and starts a background fold,
/// which writes the snapshot of the state at the switch, naming the successor, and then renames the successor over the
/// journal. <see cref="JournalChain"/> reads every step of that whole, so a crash at any instant loses nothing.
/// Explicit compaction, whole saves, delete and dispose wait for a fold in progress.
/// </summary>
internal sealed partial class CardSession
{
    /// <summary>The running background work (a fold, or preparing a successor), or <see langword="null"/>.</summary>
    private Task? _background;

    /// <summary>The successor journal ready to take the appends, or <see langword="null"/>. Set by background work.</summary>
    private PreparedJournal? _successor;

    /// <summary>A fold that the successor, now taking the appends, still needs, or <see langword="null"/>.</summary>
    private Fold? _unfolded;

    /// <summary>
    /// The most zeros written ahead into a successor: a successor left by a crash is read whole by the next load, zeros
    /// included. Beyond it, appends extend the file as they go (1 MB of zeros at a time).
    /// </summary>
    private const long MaxZeroFilledSuccessor = 64L << 20;

    /// <summary>The files the last compaction replaced, freed when the next one starts (see <see cref="RetiredFiles"/>).</summary>
    private readonly RetiredFiles _retired = new();

    /// <summary>Whether the last fold was refused for making the snapshot larger than MaxFileBytes: no fold is retried in the background.</summary>
    private bool _tooLargeToFold;

    /// <summary>Whether a caller waits for the background work, which then skips what can wait (zero-filling a successor).</summary>
    private bool _hurry;

    /// <summary>
    /// Starts background work (a fold, or preparing a successor); <see cref="Task.Run(Func{Task})"/>. Tests hold the work
    /// back to pin down what a caller sees while it runs.
    /// </summary>
    internal Func<Func<Task>, Task> StartBackground { get; init; } = static work => Task.Run(work);

    private long CompactionThreshold => _options.CompactionBytesOverride ?? Math.Max(Volatile.Read(ref _snapshotBytes), _options.MinCompactionBytes);

    /// <summary>After an append: starts the background work that is due, unless some is still running.</summary>
    private void CompactInBackgroundIfDue()
    {
        if (_background is { IsCompleted: false })
        {
            return;
        }

        _background = null;
        if (_tooLargeToFold)
        {
            return;
        }

        if (_unfolded is { } retry)
        {
            // A fold that failed (a full disk, say): the successor holds the appends since; try again.
            _background = StartBackground(() => FoldInBackgroundAsync(retry));
        }
        else if (_journalRecordBytes > CompactionThreshold)
        {
            if (_successor is null)
            {
                var journalId = _journalId!;
                _background = StartBackground(() => PrepareInBackgroundAsync(journalId));
            }
            else
            {
                var fold = Switch();
                _background = StartBackground(() => FoldInBackgroundAsync(fold));
            }
        }
    }

    /// <summary>Folds the journals into a new snapshot now; returns once it is in place.</summary>
    private async Task CompactNowAsync(CancellationToken cancellationToken)
    {
        await WaitForBackgroundAsync().ConfigureAwait(false);
        _retired.ReleaseAll();
        if (Current is null)
        {
            return;
        }

        if (_journal is null)
        {
            await WriteSnapshotAsync(Current, cancellationToken).ConfigureAwait(false);

            // Stryker disable once Statement : the whole snapshot leaves no fold pending and no journal records, so the steps below would do nothing
            return;
        }

        try
        {
            if (_unfolded is { } pending)
            {
                WriteFold(pending, cancellationToken);
            }

            if (_journalRecordBytes > 0)
            {
                if (_successor is null)
                {
                    await PrepareSuccessorAsync(_journalId!, zeroFill: false, cancellationToken).ConfigureAwait(false);
                }

                WriteFold(Switch(), cancellationToken);
            }
        }
        finally
        {
            Phase("idle");
        }
    }

    /// <summary>After a load: finishes what a compaction interrupted by a crash left, and reuses a prepared successor.</summary>
    private void ResumeInterruptedCompaction(JournalChainState chain)
    {
        if (chain.ActiveIsSuccessor && chain.Unfolded is null)
        {
            // The snapshot names the successor: only the rename over the stale journal is missing.
            RenameSuccessorOverJournal();
        }
        else if (chain.Unfolded is { } unfolded)
        {
            var fold = new Fold(unfolded, _journalId!, JournalBytes: 0);
            _unfolded = fold;
            _background = StartBackground(() => FoldInBackgroundAsync(fold));
        }
        else if (chain.PreparedSuccessor)

        // Stryker disable once Block : reusing the prepared successor only saves preparing it again: its id is derived, so that writes the same file
        {
            var stream = OpenJournal(Paths.Successor);
            _successor = new PreparedJournal(JournalFormat.SuccessorId(_journalId!), stream, stream.Length);
        }
    }

    /// <summary>Moves the appends to the prepared successor; returns the fold that the snapshot now needs.</summary>
    private Fold Switch()
    {
        var successor = _successor!;
        _successor = null;
        var fold = new Fold(Current!, successor.Id, _journalRecordBytes);
        CloseJournal();
        _journal = successor.Stream;
        _journalId = successor.Id;
        _journalOffset = JournalFormat.HeaderSize;
        _journalZeroedEnd = successor.ZeroedEnd;
        _journalRecordBytes = 0;
        _unfolded = fold;
        return fold;
    }

    /// <summary>
    /// Writes the snapshot of <paramref name="fold"/> naming the successor, then renames the successor over the stale
    /// journal. Safe to repeat after a failure at any step.
    /// </summary>
    private void WriteFold(Fold fold, CancellationToken cancellationToken)
    {
        // Streamed to the file: a fold runs beside saves, and a buffer the size of the snapshot would cost them gen-2 collections.
        Phase("writing the snapshot");
        var snapshotBytes = DurableFile.Replace(
            Paths.Snapshot, output => CheckpointJsonWriter.WriteSnapshot(output, fold.Checkpoint, fold.JournalId), _options.MaxFileBytes, cancellationToken, _retired);
        Volatile.Write(ref _snapshotBytes, snapshotBytes);
        Phase("renaming the successor");
        RenameSuccessorOverJournal();
        _unfolded = null;
        Log.Compacted(_logger, CardId, fold.JournalBytes, snapshotBytes, fold.Checkpoint.Version);
    }

    /// <summary>Puts the successor, which the snapshot names, in the journal's place (its open handle keeps appending).</summary>
    private void RenameSuccessorOverJournal()
    {
        if (File.Exists(Paths.Successor))
        {
            DurableFile.RenameOver(Paths.Successor, Paths.Journal, _retired);
        }
        else
        {
            // Stryker disable once Statement : an fsync; only a power cut shows it
            PosixFileSync.SyncDirectory(Paths.Directory);
        }
    }

    /// <summary>
    /// Prepares the successor of journal <paramref name="journalId"/> (which must be the one taking the appends): written
    /// beside it and renamed into place durably, with disk reserved up to the size at which it is compacted. In the
    /// background (<paramref name="zeroFill"/>), that space is also filled with zeros, a chunk at a time: the appends
    /// then overwrite zeros and never extend the file, so none of them pays for writing zeros ahead, or for the file
    /// metadata a longer file needs. Stops filling early when a caller waits for the background work.
    /// </summary>
    private async Task PrepareSuccessorAsync(string journalId, bool zeroFill, CancellationToken cancellationToken)
    {
        var id = JournalFormat.SuccessorId(journalId);
        var expected = ExpectedJournalBytes(CompactionThreshold, _options.MaxFileBytes);
        Phase("creating the successor");
        var temp = await DurableFile.PrepareAsync(Paths.Successor, JournalFormat.CreateHeader(id), expected, cancellationToken).ConfigureAwait(false);
        var length = (long)JournalFormat.HeaderSize;
        if (zeroFill)
        {
            try
            {
                Phase("zero-filling the successor");
                length = ZeroFill(temp, JournalFormat.HeaderSize + Math.Min(expected, MaxZeroFilledSuccessor), () => Volatile.Read(ref _hurry));
            }
            catch
            {
                DurableFile.TryDelete(temp);
                throw;
            }
        }

        DurableFile.Commit(temp, Paths.Successor);
        _successor = new PreparedJournal(id, OpenJournal(Paths.Successor), length);
    }

    /// <summary>
    /// The record bytes a successor is expected to take before it is folded in turn, within bounds: the snapshot it
    /// follows will be about twice the current one (the current one plus the journal folded into it), and a quarter more
    /// covers the record that crosses the line and the appends made while a fold is still running.
    /// </summary>
    /// <param name="threshold">The compaction threshold.</param>
    /// <param name="maxFileBytes">The largest journal a load reads.</param>
    internal static long ExpectedJournalBytes(long threshold, long maxFileBytes) =>
        Math.Min(Math.Min(threshold, MaxJournalReservation / 3) * 5 / 2, maxFileBytes - JournalFormat.HeaderSize);

    /// <summary>
    /// Appends zeros to <paramref name="path"/> until it is <paramref name="length"/> bytes long, a chunk at a time, each
    /// written out to the device (one chunk of dirty data at most, like <see cref="FileBufferWriter"/>), then fsyncs it;
    /// stops early when <paramref name="stop"/> says so. Returns the file's length.
    /// </summary>
    internal static long ZeroFill(string path, long length, Func<bool> stop)
    {
        using var file = OpenJournal(path);
        var end = file.Length;
        while (end < length && !stop())
        {
            var chunk = Math.Min(length - end, FileBufferWriter.ChunkSize);
            RandomAccess.Write(file.SafeFileHandle, WithZerosAfter(ReadOnlyMemory<byte>.Empty, chunk), end);

            // Stryker disable once Statement : starts the device write-out early (sync_file_range) to bound dirty pages; the bytes and the fsync below are the same without it
            PosixFileSync.WriteOut(file, end, chunk);
            end += chunk;
        }

        // Stryker disable once Statement,Boolean : an fsync; only a power cut shows it
        file.Flush(flushToDisk: true);
        return end;
    }

    private async Task FoldInBackgroundAsync(Fold fold)
    {
        try
        {
            Phase("freeing replaced files");
            _retired.ReleaseAll();
            WriteFold(fold, CancellationToken.None);
            await PrepareSuccessorAsync(fold.JournalId, zeroFill: true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.CompactionFailed(_logger, CardId, ex);
        }
        catch (CheckpointTooLargeException ex)
        {
            // The state only grows, so trying again after the next save would fail the same way: the journals keep
            // every change, and an append that would outgrow the limit is refused with this error.
            _tooLargeToFold = true;
            Log.CompactionFailed(_logger, CardId, ex);
        }
        finally
        {
            Phase("idle");
        }
    }

    private async Task PrepareInBackgroundAsync(string journalId)
    {
        try
        {
            await PrepareSuccessorAsync(journalId, zeroFill: true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.CompactionFailed(_logger, CardId, ex);
        }
        finally
        {
            Phase("idle");
        }
    }

    /// <summary>Tells the diagnostics hook, if any, what the compaction work is doing.</summary>
    private void Phase(string phase) => _options.BackgroundActivity?.Invoke("fold", phase);

    /// <summary>Waits for background work to end. It logs its own I/O failures; anything else it raised is a defect and is rethrown.</summary>
    private async Task WaitForBackgroundAsync()
    {
        if (_background is { } background)
        {
            _background = null;
            Volatile.Write(ref _hurry, true);
            try
            {
                await background.ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _hurry, false);
            }
        }
    }

    /// <summary>
    /// Closes and removes a prepared successor: it holds nothing, so no reader needs it. It can be large (zero-filled), so
    /// its space is freed with the retired files.
    /// </summary>
    private void DiscardSuccessor()
    {
        if (_successor is { } successor)
        {
            successor.Stream.Dispose();
            _successor = null;
            try
            {
                DurableFile.Delete(Paths.Successor, _retired);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left behind: a successor that continues nothing is ignored, and replaced later.
            }
        }
    }

    /// <summary>
    /// Writes a whole snapshot with a new journal generation, synchronously: the first save, a whole-checkpoint save, or
    /// after the journal could not be written. The new journal is prepared first (so a full disk fails before anything
    /// changes), then the snapshot naming it replaces the old one, then the new journal replaces the old, now stale,
    /// journal, and a successor (stale too) is removed.
    /// </summary>
    private async Task WriteSnapshotAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await WaitForBackgroundAsync().ConfigureAwait(false);
        _retired.ReleaseAll();
        _tooLargeToFold = false;
        var journalId = JournalFormat.NewId();

        // Reserve the journal's disk space up to the size at which it is compacted again: appends then fill one
        // contiguous extent instead of allocating (and fragmenting) a little more on every fdatasync'd record, which
        // made an append at 60 MB cost 1.6 times one at 1 MB. The snapshot is streamed after, so the last one's size
        // stands in for its own.
        var reserve = Math.Min(Math.Max(_snapshotBytes, _options.MinCompactionBytes), MaxJournalReservation);
        var newJournal = await DurableFile.PrepareAsync(Paths.Journal, JournalFormat.CreateHeader(journalId), reserve, cancellationToken)
            .ConfigureAwait(false);
        long snapshotBytes;
        try
        {
            // Streamed to the file: no buffer the size of the snapshot (a large-object-heap allocation and a gen-2 collection).
            snapshotBytes = DurableFile.Replace(
                Paths.Snapshot, output => CheckpointJsonWriter.WriteSnapshot(output, checkpoint, journalId), _options.MaxFileBytes, cancellationToken, _retired);
        }
        catch
        {
            DurableFile.TryDelete(newJournal);
            throw;
        }

        var previousJournalBytes = _journalRecordBytes;
        CloseJournal();
        DiscardSuccessor();
        _unfolded = null;
        Current = checkpoint;
        _snapshotBytes = snapshotBytes;
        _journalRecordBytes = 0;

        // The snapshot is durable and complete; the old journals are now stale. A failure below only costs a rewrite later.
        DurableFile.Commit(newJournal, Paths.Journal, _retired);
        DurableFile.TryDelete(Paths.Successor);
        _journal = OpenJournal(Paths.Journal);
        _journalId = journalId;
        _journalOffset = JournalFormat.HeaderSize;
        _journalZeroedEnd = JournalFormat.HeaderSize;
        Log.Compacted(_logger, CardId, previousJournalBytes, _snapshotBytes, checkpoint.Version);
    }

    /// <summary>A successor journal, durable with its header and zeros up to <paramref name="ZeroedEnd"/>, opened for appends.</summary>
    private sealed record PreparedJournal(string Id, FileStream Stream, long ZeroedEnd);

    /// <summary>A snapshot still to write: the state at a switch, and the successor journal that continues it.</summary>
    private sealed record Fold(PipelineCheckpoint Checkpoint, string JournalId, long JournalBytes);
}
