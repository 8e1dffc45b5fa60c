using Azure;
using Azure.Storage.Blobs.Models;
using Checkpointing.FileStore;
using Checkpointing.Json;

namespace Checkpointing.AzureBlob;

public sealed partial class AzureBlobCheckpointRepository
{
    /// <inheritdoc/>
    /// <remarks>One listing request per 5,000 blobs; a card whose id is too long to be its blob's name costs one more read.</remarks>
    /// <exception cref="CheckpointBlobStoreException">The storage service failed or refused the request.</exception>
    public Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken = default) =>
        GuardAsync(null, () => ListCardIdsCoreAsync(cancellationToken), cancellationToken);

    private async Task<IReadOnlyList<string>> ListCardIdsCoreAsync(CancellationToken cancellationToken)
    {
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var ids = new List<string>();
        await foreach (var blob in Container.GetBlobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!blob.Name.EndsWith(CardBlobs.SnapshotSuffix, StringComparison.Ordinal))
            {
                continue;
            }

            var baseName = blob.Name[..^CardBlobs.SnapshotSuffix.Length];
            var id = CardFileName.IsHashed(baseName)
                ? await ReadCardIdAsync(blob.Name, cancellationToken).ConfigureAwait(false)
                : CardFileName.TryFromBaseName(baseName);
            if (id is not null && string.Equals(CardFileName.ToBaseName(id), baseName, StringComparison.Ordinal))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    /// <summary>Reads <c>card_id</c> from the start of a snapshot, without downloading the whole blob.</summary>
    private async Task<string?> ReadCardIdAsync(string blobName, CancellationToken cancellationToken)
    {
        BinaryData prefix;
        try
        {
            var options = new BlobDownloadOptions { Range = new HttpRange(0, SnapshotCardId.PrefixBytes) };
            prefix = (await Container.GetBlobClient(blobName).DownloadContentAsync(options, cancellationToken).ConfigureAwait(false)).Value.Content;
        }
        catch (RequestFailedException ex) when (BlobErrors.IsNotFound(ex))
        {
            return null;
        }

        var bytes = prefix.ToMemory().Span;
        return SnapshotCardId.TryRead(bytes, isWholeDocument: bytes.Length < SnapshotCardId.PrefixBytes);
    }
}
