using Azure;
using Azure.Storage.Blobs.Models;

namespace Checkpointing.AzureBlob;

/// <summary>
/// The conditional requests of <see cref="CardWriter"/>, and how a request whose outcome is unknown is resolved. The
/// client's retry policy resends a request that timed out or met a server error; the conditions make a resent request
/// harmless (an append at a position already passed, or a snapshot under an ETag already replaced, is refused), and
/// such a refusal, or a failure after the last retry, is resolved by reading the blob back: if it holds exactly what
/// was sent, the write was applied. Nothing is ever applied twice.
/// </summary>
internal sealed partial class CardWriter
{
    /// <summary>Appends one block at the position this owner last saw, under its lease.</summary>
    private async Task AppendAsync(byte[] block, long attemptedVersion, CancellationToken cancellationToken)
    {
        var position = _journalLength;
        var options = new AppendBlobAppendBlockOptions { Conditions = new() { IfAppendPositionEqual = position, LeaseId = _lease.LeaseId } };
        try
        {
            await WithLeaseAsync(
                async () =>
                {
                    using var content = new MemoryStream(block, writable: false);
                    await _blobs.Journal.AppendBlockAsync(content, options, cancellationToken).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (BlobErrors.IsAppendPositionFailure(ex))
        {
            if (!await HoldsAtAsync(position, block, cancellationToken).ConfigureAwait(false))
            {
                throw await RefusedAsync(ex, attemptedVersion, cancellationToken).ConfigureAwait(false);
            }

            AzureBlobLog.OutcomeResolved(_logger, _blobs.CardId, _blobs.JournalName, ex.ErrorCode ?? "412", "was applied by an earlier attempt");
        }
        catch (Exception ex) when (BlobErrors.IsOutcomeUnknown(ex))
        {
            if (!await TryResolveAsync(ex, _blobs.JournalName, () => HoldsAtAsync(position, block, CancellationToken.None), cancellationToken).ConfigureAwait(false))
            {
                throw;
            }
        }

        _journalLength = position + block.Length;
    }

    /// <summary>
    /// Sends a request that names the lease. When the service refuses the lease, it is renewed: an expired lease that no
    /// one else took since (the storage service was restarted, or unreachable for longer than the lease) is this owner's
    /// again, and the refused request, which changed nothing, is sent once more. Otherwise the lease is lost.
    /// </summary>
    /// <exception cref="CheckpointLeaseLostException">Another owner took the card.</exception>
    private async Task WithLeaseAsync(Func<Task> request, CancellationToken cancellationToken)
    {
        try
        {
            await request().ConfigureAwait(false);
            return;
        }
        catch (RequestFailedException ex) when (BlobErrors.IsLeaseRefusal(ex))
        {
            if (!await _lease.ConfirmAsync(cancellationToken).ConfigureAwait(false))
            {
                throw _lease.LostException(ex);
            }
        }

        try
        {
            await request().ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (BlobErrors.IsLeaseRefusal(ex))
        {
            _lease.MarkLost();
            throw _lease.LostException(ex);
        }
    }

    /// <summary>Replaces the snapshot under <c>If-Match</c> on the ETag this owner last saw (<c>If-None-Match: *</c> when there was none).</summary>
    /// <returns>The new snapshot's ETag.</returns>
    private async Task<ETag> PutSnapshotAsync(ReadOnlyMemory<byte> snapshot, long attemptedVersion, CancellationToken cancellationToken)
    {
        var conditions = _snapshotETag is { } etag ? new BlobRequestConditions { IfMatch = etag } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        ETag? stored = null;
        try
        {
            var response = await _blobs.Snapshot.UploadAsync(new BinaryData(snapshot), new BlobUploadOptions { Conditions = conditions }, cancellationToken)
                .ConfigureAwait(false);
            return response.Value.ETag;
        }
        catch (RequestFailedException ex) when (BlobErrors.IsConditionFailure(ex))
        {
            stored = await SnapshotHoldingAsync(snapshot, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                throw await RefusedAsync(ex, attemptedVersion, cancellationToken).ConfigureAwait(false);
            }

            AzureBlobLog.OutcomeResolved(_logger, _blobs.CardId, _blobs.SnapshotName, ex.ErrorCode ?? "412", "was applied by an earlier attempt");
        }
        catch (Exception ex) when (BlobErrors.IsOutcomeUnknown(ex))
        {
            if (!await TryResolveAsync(ex, _blobs.SnapshotName, async () => (stored = await SnapshotHoldingAsync(snapshot, CancellationToken.None).ConfigureAwait(false)) is not null, cancellationToken)
                .ConfigureAwait(false))
            {
                throw;
            }
        }

        return stored!.Value;
    }

    /// <summary>
    /// Reads back a write that failed with an unknown outcome. When it was not applied (or that cannot be known now),
    /// the card is read again before the next write: a request still in flight may land later.
    /// </summary>
    /// <returns><see langword="true"/> when the blob holds what was written.</returns>
    private async Task<bool> TryResolveAsync(Exception failure, string blob, Func<Task<bool>> holdsWrite, CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (await holdsWrite().ConfigureAwait(false))
                {
                    AzureBlobLog.OutcomeResolved(_logger, _blobs.CardId, blob, failure.GetType().Name, "was applied");
                    return true;
                }
            }
            catch (Exception ex) when (BlobErrors.IsOutcomeUnknown(ex) || ex is RequestFailedException)
            {
                // Still unreachable: the reload before the next write finds out.
            }
        }

        _loaded = false;
        AzureBlobLog.OutcomeUnknown(_logger, _blobs.CardId, blob, failure);
        return false;
    }

    /// <summary>Whether the journal holds exactly <paramref name="block"/> at <paramref name="position"/>.</summary>
    private async Task<bool> HoldsAtAsync(long position, byte[] block, CancellationToken cancellationToken)
    {
        try
        {
            var options = new BlobDownloadOptions { Range = new HttpRange(position, block.Length) };
            var stored = (await _blobs.Journal.DownloadContentAsync(options, cancellationToken).ConfigureAwait(false)).Value.Content;
            return stored.ToMemory().Span.SequenceEqual(block);
        }
        catch (RequestFailedException ex) when (ex.Status == 416 || BlobErrors.IsNotFound(ex))
        {
            return false; // the journal ends at or before the position
        }
    }

    /// <summary>The snapshot's ETag when it holds exactly <paramref name="snapshot"/>; otherwise <see langword="null"/>.</summary>
    private async Task<ETag?> SnapshotHoldingAsync(ReadOnlyMemory<byte> snapshot, CancellationToken cancellationToken)
    {
        var stored = await CardReader.DownloadAsync(_blobs.Snapshot, cancellationToken).ConfigureAwait(false);
        return stored is not null && stored.Content.ToMemory().Span.SequenceEqual(snapshot.Span) ? stored.Details.ETag : null;
    }

    /// <summary>
    /// The error for a conditional write refused because the blob is not what this owner last saw: the lease was lost
    /// (the new owner changed the snapshot's ETag when it took the card), or, with the lease still held, a write of the
    /// previous owner that landed after this owner read the card. The card is read again before the next write.
    /// </summary>
    private async Task<CheckpointException> RefusedAsync(RequestFailedException refusal, long attemptedVersion, CancellationToken cancellationToken)
    {
        if (!await _lease.ConfirmAsync(cancellationToken).ConfigureAwait(false))
        {
            return _lease.LostException(refusal);
        }

        _loaded = false;
        var stored = await LoadAsync(cancellationToken).ConfigureAwait(false);
        return new CheckpointConflictException(_blobs.CardId, stored?.Version ?? 0, attemptedVersion);
    }
}
