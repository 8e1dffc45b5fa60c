using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Checkpointing.FileStore;
using Checkpointing.Json;

namespace Checkpointing.AzureBlob;

/// <summary>What a card's blobs hold, read in the order that makes a read without the lease consistent.</summary>
/// <param name="Snapshot">The snapshot, or <see langword="null"/> when none is stored.</param>
/// <param name="SnapshotETag">The snapshot's ETag (<see langword="null"/> when there is none).</param>
/// <param name="SnapshotBytes">The snapshot's size.</param>
/// <param name="Journal">The journal replayed over the snapshot (<see langword="null"/> when there is no snapshot).</param>
/// <param name="JournalBytes">The journal blob's length (its append position), 0 when it does not exist.</param>
/// <param name="JournalExists">Whether the journal blob exists.</param>
internal sealed record CardState(
    SnapshotDocument? Snapshot, ETag? SnapshotETag, long SnapshotBytes, JournalState? Journal, long JournalBytes, bool JournalExists)
{
    /// <summary>Gets the checkpoint: the snapshot with every journal record applied.</summary>
    public PipelineCheckpoint? Checkpoint => Journal?.Checkpoint;
}

/// <summary>Reads a card's blobs.</summary>
internal static class CardReader
{
    /// <summary>
    /// Reads the journal, then the snapshot. Compaction writes the snapshot first and then replaces the journal, so
    /// whichever snapshot is read, the journal read before it is either its continuation or an earlier, ignored generation.
    /// A download is one consistent version of a blob, so no append is ever seen in part.
    /// </summary>
    /// <exception cref="CheckpointCorruptedException">A blob cannot be read as what it should be.</exception>
    public static async Task<CardState> ReadAsync(CardBlobs blobs, CancellationToken cancellationToken)
    {
        var journal = await DownloadAsync(blobs.Journal, cancellationToken).ConfigureAwait(false);
        var snapshot = await DownloadAsync(blobs.Snapshot, cancellationToken).ConfigureAwait(false);
        var journalBytes = journal?.Content.ToArray();
        if (snapshot is null)
        {
            return new CardState(null, null, 0, null, journalBytes?.Length ?? 0, journal is not null);
        }

        var document = CheckpointJsonReader.ReadSnapshot(snapshot.Content.ToMemory(), new JsonReadContext(blobs.SnapshotName, DeferResponseText: true));
        SnapshotDocument.EnsureCardId(document, blobs.CardId, blobs.SnapshotName);
        var state = JournalReplay.Replay(journalBytes, blobs.JournalName, document);
        if (state.HasTornTail)
        {
            // Appends to a blob are atomic: a record cut short was not written by this store, it was damaged.
            throw new CheckpointCorruptedException(
                blobs.JournalName, state.ValidLength, "the journal ends inside a record; an append blob never holds part of an append, so this is damage");
        }

        return new CardState(document, snapshot.Details.ETag, snapshot.Content.ToMemory().Length, state, journalBytes?.Length ?? 0, journal is not null);
    }

    /// <summary>Downloads a whole blob; <see langword="null"/> when it does not exist.</summary>
    public static async Task<BlobDownloadResult?> DownloadAsync(BlobBaseClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (BlobErrors.IsNotFound(ex))
        {
            return null;
        }
    }
}
