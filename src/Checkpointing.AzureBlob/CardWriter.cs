using System.Buffers;
using Azure;
using Checkpointing.FileStore;
using Checkpointing.Json;
using Microsoft.Extensions.Logging;

namespace Checkpointing.AzureBlob;

/// <summary>
/// The owner's view of one card while it holds the card's lease: the state in the blobs, the journal's append position,
/// and the sizes that decide when to compact. Only the lease holder has one, and every write it makes names the lease or
/// the snapshot's ETag, so nothing can change the card behind its back unless it lost the lease.
/// </summary>
internal sealed partial class CardWriter : IAsyncDisposable
{
    /// <summary>The largest journal record appended: 4 MiB is the append block limit of every service version.</summary>
    private const int MaxAppendBytes = 4 << 20;

    /// <summary>The number of blocks at which the journal is compacted: an append blob holds at most 50,000.</summary>
    private const int MaxJournalBlocks = 49_000;

    private readonly CardBlobs _blobs;
    private readonly CardLease _lease;
    private readonly AzureBlobCheckpointRepositoryOptions _options;
    private readonly ILogger _logger;
    private bool _loaded;
    private ETag? _snapshotETag;
    private long _snapshotBytes;
    private string? _journalId;
    private long _journalLength;
    private long _journalBlocks;
    private long _journalRecordBytes;

    private CardWriter(CardBlobs blobs, CardLease lease, AzureBlobCheckpointRepositoryOptions options, ILogger logger)
    {
        _blobs = blobs;
        _lease = lease;
        _options = options;
        _logger = logger;
    }

    /// <summary>Gets the card's blobs.</summary>
    public CardBlobs Blobs => _blobs;

    /// <summary>Gets the gate that orders this owner's operations.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Gets the state in the blobs, once loaded; <see langword="null"/> when none is stored.</summary>
    public PipelineCheckpoint? Current { get; private set; }

    private long StoredVersion => Current?.Version ?? 0;

    /// <summary>
    /// Starts owning a card under a freshly acquired lease. It first changes the snapshot's ETag (by setting its
    /// metadata): a snapshot write the previous owner prepared under <c>If-Match</c> on the ETag it saw is refused from
    /// now on, and one that landed before is what this owner loads.
    /// </summary>
    public static async Task<CardWriter> OpenAsync(
        CardBlobs blobs, CardLease lease, AzureBlobCheckpointRepositoryOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await blobs.Snapshot.SetMetadataAsync(
                new Dictionary<string, string> { ["checkpoint_owner"] = lease.LeaseId }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (BlobErrors.IsNotFound(ex))
        {
            // No snapshot yet: creating one needs If-None-Match: *, which fails once anyone created it.
        }

        return new CardWriter(blobs, lease, options, logger);
    }

    /// <summary>Reads the card once; later calls return what this owner wrote since.</summary>
    public async Task<PipelineCheckpoint?> LoadAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return Current;
        }

        var state = await CardReader.ReadAsync(_blobs, cancellationToken).ConfigureAwait(false);
        Current = state.Checkpoint;
        _snapshotETag = state.SnapshotETag;
        _snapshotBytes = state.SnapshotBytes;
        if (state.Journal is { IsCurrent: true } journal)
        {
            _journalId = state.Snapshot!.JournalId;
            _journalLength = state.JournalBytes;
            _journalBlocks = journal.Records + 1;
            _journalRecordBytes = state.JournalBytes - JournalFormat.HeaderSize;
        }
        else
        {
            _journalId = null;
            if (state.Snapshot is not null && state.JournalBytes > 0)
            {
                AzureBlobLog.StaleJournalIgnored(_logger, _blobs.CardId, _blobs.JournalName);
            }
        }

        _loaded = true;
        return Current;
    }

    /// <summary>Stores a whole checkpoint as a new snapshot generation.</summary>
    public async Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        await PrepareWriteAsync(checkpoint.Version, cancellationToken).ConfigureAwait(false);
        await WriteSnapshotAsync(checkpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends one change to the journal, compacting when the journal outgrows the snapshot.</summary>
    public async Task SaveChangeAsync(PipelineCheckpoint checkpoint, CheckpointChange change, CancellationToken cancellationToken)
    {
        await PrepareWriteAsync(change.Version, cancellationToken).ConfigureAwait(false);
        var record = Frame(change);
        if (_journalId is null || Current is null || record.Length > MaxAppendBytes)
        {
            await WriteSnapshotAsync(checkpoint, cancellationToken).ConfigureAwait(false);
            return;
        }

        await AppendAsync(record, change.Version, cancellationToken).ConfigureAwait(false);
        Current = checkpoint;
        _journalRecordBytes += record.Length;
        _journalBlocks++;
        if (_journalRecordBytes > Math.Max(_snapshotBytes, _options.MinCompactionBytes) || _journalBlocks >= MaxJournalBlocks)
        {
            try
            {
                await WriteSnapshotAsync(checkpoint, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is CheckpointException || BlobErrors.IsOutcomeUnknown(ex) || ex is RequestFailedException)
            {
                // The change is durable in the journal; only the folding failed. Read the card again before the next write.
                _loaded = false;
                AzureBlobLog.CompactionFailed(_logger, _blobs.CardId, ex);
            }
        }
    }

    /// <summary>Folds the journal into a new snapshot, if it holds anything.</summary>
    public async Task CompactAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (Current is not null && (_journalId is null || _journalRecordBytes > 0))
        {
            _lease.EnsureActive();
            await WriteSnapshotAsync(Current, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes the card: the snapshot first (under <c>If-Match</c>), so a failure in between leaves a journal of an
    /// earlier generation, which is ignored. The journal is emptied when <paramref name="keepLease"/> (the owner goes on
    /// holding the card), else deleted with the lease.
    /// </summary>
    public async Task<bool> DeleteAsync(bool keepLease, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        _lease.EnsureActive();
        var existed = false;
        if (_snapshotETag is { } etag)
        {
            try
            {
                await _blobs.Snapshot.DeleteAsync(conditions: new() { IfMatch = etag }, cancellationToken: cancellationToken).ConfigureAwait(false);
                existed = true;
            }
            catch (RequestFailedException ex) when (BlobErrors.IsConditionFailure(ex))
            {
                throw await RefusedAsync(ex, StoredVersion + 1, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (BlobErrors.IsNotFound(ex))
            {
                existed = true; // an earlier attempt whose answer was lost deleted it
            }
        }

        Current = null;
        _snapshotETag = null;
        _journalId = null;
        try
        {
            await WithLeaseAsync(
                () => keepLease
                    ? _blobs.Journal.CreateAsync(new() { Conditions = new() { LeaseId = _lease.LeaseId } }, cancellationToken)
                    : _blobs.Journal.DeleteAsync(conditions: new() { LeaseId = _lease.LeaseId }, cancellationToken: cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }
        catch (CheckpointLeaseLostException)
        {
            // The snapshot is gone; the journal left behind is of an earlier generation and ignored.
        }
        catch (RequestFailedException ex) when (BlobErrors.IsNotFound(ex))
        {
        }

        return existed;
    }

    /// <inheritdoc/>
    /// <remarks>Releases the lease; <see cref="Gate"/> stays usable, so a late caller waits and then finds the lease gone.</remarks>
    public ValueTask DisposeAsync() => _lease.DisposeAsync();

    private async Task PrepareWriteAsync(long newVersion, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        _lease.EnsureActive();
        CheckpointConflictException.ThrowIfNotNext(_blobs.CardId, StoredVersion, newVersion);
    }

    private static byte[] Frame(CheckpointChange change)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        JournalFormat.Reserve(buffer);
        CheckpointJsonWriter.WriteChange(buffer, change);
        return JournalFormat.Seal(buffer).ToArray();
    }

    /// <summary>
    /// Compacts, in an order that is safe at every step: (1) the new snapshot, naming a new journal generation, replaces
    /// the old one under <c>If-Match</c> (or <c>If-None-Match: *</c>); the old journal is now stale, since the snapshot
    /// holds everything it recorded. (2) The journal blob is recreated empty under the lease; an empty journal is no
    /// generation, so it is ignored. (3) The new generation's header is appended at position 0. A failure after (1)
    /// costs nothing but a whole snapshot at the next change, which starts a generation again.
    /// </summary>
    private async Task WriteSnapshotAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var journalId = JournalFormat.NewId();
        var buffer = new ArrayBufferWriter<byte>(checked((int)Math.Min(Math.Max(_snapshotBytes * 2, 4096), Array.MaxLength)));
        CheckpointJsonWriter.WriteSnapshot(buffer, checkpoint, journalId);
        var snapshot = buffer.WrittenMemory;
        var previousJournalBytes = _journalRecordBytes;
        _snapshotETag = await PutSnapshotAsync(snapshot, checkpoint.Version, cancellationToken).ConfigureAwait(false);
        Current = checkpoint;
        _snapshotBytes = snapshot.Length;
        _journalId = null;
        _journalRecordBytes = 0;
        AzureBlobLog.Compacted(_logger, _blobs.CardId, previousJournalBytes, _snapshotBytes, checkpoint.Version);
        try
        {
            await WithLeaseAsync(
                () => _blobs.Journal.CreateAsync(new() { Conditions = new() { LeaseId = _lease.LeaseId } }, cancellationToken), cancellationToken)
                .ConfigureAwait(false);
            _journalLength = 0;
            await AppendAsync(JournalFormat.CreateHeader(journalId), checkpoint.Version + 1, cancellationToken).ConfigureAwait(false);
            _journalId = journalId;
            _journalBlocks = 1;
        }
        catch (Exception ex) when (ex is CheckpointException || BlobErrors.IsOutcomeUnknown(ex) || ex is RequestFailedException)
        {
            // The snapshot is stored and complete; without a current journal, the next change writes a snapshot again.
            AzureBlobLog.CompactionFailed(_logger, _blobs.CardId, ex);
        }
    }
}
