using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Checkpointing.FileStore;

namespace Checkpointing.AzureBlob;

/// <summary>
/// The blobs of one card, named like the file store's files (<see cref="CardFileName"/>): <c>&lt;name&gt;.json</c>, a
/// block blob holding the snapshot, and <c>&lt;name&gt;.journal</c>, an append blob holding the journal and the card's lease.
/// </summary>
internal sealed class CardBlobs
{
    /// <summary>The suffix of snapshot blobs.</summary>
    public const string SnapshotSuffix = ".json";

    /// <summary>The suffix of journal blobs.</summary>
    public const string JournalSuffix = ".journal";

    private CardBlobs(string cardId, string baseName, BlobContainerClient container)
    {
        CardId = cardId;
        BaseName = baseName;
        Snapshot = container.GetBlobClient(baseName + SnapshotSuffix);
        Journal = container.GetAppendBlobClient(baseName + JournalSuffix);
        SnapshotName = $"{container.Name}/{Snapshot.Name}";
        JournalName = $"{container.Name}/{Journal.Name}";
    }

    /// <summary>Gets the card.</summary>
    public string CardId { get; }

    /// <summary>Gets the escaped name shared by the card's blobs.</summary>
    public string BaseName { get; }

    /// <summary>Gets the snapshot's block blob.</summary>
    public BlobClient Snapshot { get; }

    /// <summary>Gets the journal's append blob, which also carries the card's lease.</summary>
    public AppendBlobClient Journal { get; }

    /// <summary>Gets <c>container/blob</c> of the snapshot, for messages.</summary>
    public string SnapshotName { get; }

    /// <summary>Gets <c>container/blob</c> of the journal, for messages.</summary>
    public string JournalName { get; }

    /// <summary>Names the blobs of a card.</summary>
    /// <exception cref="ArgumentException">The id is empty, white space or has control characters.</exception>
    public static CardBlobs For(BlobContainerClient container, string cardId) => new(cardId, CardFileName.ToBaseName(cardId), container);
}
