using Azure;
using Azure.Storage.Blobs.Specialized;
using Checkpointing.Ownership;
using Microsoft.Extensions.Logging;

namespace Checkpointing.AzureBlob;

/// <summary>
/// A blob lease on a card's journal: acquired for <see cref="AzureBlobCheckpointRepositoryOptions.LeaseDuration"/>,
/// renewed in the background every third of it, released on dispose. Every write to the card names its id, so the
/// service itself refuses the writes of an owner whose lease expired and was taken. Its state and renewal are the lease
/// model every leasing store shares (<see cref="HeldLease"/>, <see cref="LeaseRenewal"/>); the service holds the expiry.
/// </summary>
internal sealed class CardLease : IAsyncDisposable
{
    private readonly CardBlobs _blobs;
    private readonly BlobLeaseClient _client;
    private readonly ILogger _logger;
    private readonly HeldLease _held;
    private readonly LeaseRenewal _renewal;
    private readonly TimeProvider _time;

    private CardLease(CardBlobs blobs, BlobLeaseClient client, AzureBlobCheckpointRepositoryOptions options, ILogger logger)
    {
        _blobs = blobs;
        _client = client;
        _logger = logger;
        _time = options.TimeProvider;
        _held = new HeldLease(
            blobs.CardId, client.LeaseId, token: 0, options.LeaseDuration, options.TimeProvider.GetUtcNow() + options.LeaseDuration, adoptable: false, active: true);
        _renewal = new LeaseRenewal(_held, RenewOnceAsync, _ => AzureBlobLog.LeaseLost(_logger, _blobs.CardId, _blobs.JournalName), options.TimeProvider);
    }

    /// <summary>Gets the lease id every write carries.</summary>
    public string LeaseId => _client.LeaseId;

    /// <summary>Gets a value indicating whether the lease is this owner's, as far as this process knows.</summary>
    public bool IsActive => _held.IsActive;

    /// <summary>Takes the lease on the card's journal (creating the empty journal blob first if needed).</summary>
    /// <returns>The lease, or <see langword="null"/> when another owner holds it.</returns>
    public static async Task<CardLease?> TryAcquireAsync(
        CardBlobs blobs, AzureBlobCheckpointRepositoryOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var client = blobs.Journal.GetBlobLeaseClient(Guid.NewGuid().ToString());
        try
        {
            await blobs.Journal.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await client.AcquireAsync(options.LeaseDuration, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (BlobErrors.IsLeaseHeld(ex) || BlobErrors.IsNotFound(ex) || BlobErrors.IsLeaseRefusal(ex))
        {
            return null; // held; or deleted between create and acquire (the next try creates it again)
        }

        var lease = new CardLease(blobs, client, options, logger);
        lease._held.StartRenewal(lease._renewal);
        return lease;
    }

    /// <summary>Records that the service refused this lease; every later write is refused without a request.</summary>
    public void MarkLost()
    {
        if (_held.IsActive && _held.MarkLost())
        {
            AzureBlobLog.LeaseLost(_logger, _blobs.CardId, _blobs.JournalName);
        }
    }

    /// <summary>Throws when the lease is known lost.</summary>
    /// <exception cref="CheckpointLeaseLostException">It is.</exception>
    public void EnsureActive()
    {
        if (!IsActive)
        {
            throw LostException(null);
        }
    }

    /// <summary>The error for a write refused because the lease is gone.</summary>
    public CheckpointLeaseLostException LostException(Exception? innerException) =>
        new($"The lease on card '{_blobs.CardId}' (blob {_blobs.JournalName}, lease {LeaseId}) was lost: it expired, for example while "
            + "the process was frozen or cut off from the storage service, and another owner took the card. The write was refused and "
            + "nothing was written; dispose the ownership and load the card again.", innerException);

    /// <summary>Asks the service whether the lease is still this owner's (by renewing it).</summary>
    /// <returns><see langword="false"/> when the service refused it (it is then marked lost).</returns>
    public async Task<bool> ConfirmAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.RenewAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (BlobErrors.IsLeaseRefusal(ex) || BlobErrors.IsNotFound(ex))
        {
            MarkLost();
            return false;
        }
    }

    /// <summary>Stops renewing and releases the lease, if it is still this owner's.</summary>
    public async ValueTask DisposeAsync()
    {
        var wasActive = _held.IsActive;
        if (!_held.TryRelease())
        {
            return;
        }

        await _renewal.StopAsync().ConfigureAwait(false);
        try
        {
            if (wasActive)
            {
                await _client.ReleaseAsync().ConfigureAwait(false);
            }
        }
        catch (RequestFailedException ex) when (BlobErrors.IsLeaseRefusal(ex) || BlobErrors.IsNotFound(ex))
        {
            // Expired and taken, or the blob was deleted with the card: nothing to release.
        }
        catch (Exception ex) when (BlobErrors.IsOutcomeUnknown(ex))
        {
            AzureBlobLog.ReleaseFailed(_logger, _blobs.CardId, ex);
        }
    }

    /// <summary>One renewal from the timer: <see langword="false"/> when the service refused it; any other failure is logged and tried at the next tick.</summary>
    private async Task<bool> RenewOnceAsync(HeldLease lease, CancellationToken cancellationToken)
    {
        try
        {
            await _client.RenewAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            lease.ExpiresAt = _time.GetUtcNow() + lease.Duration; // as this process sees it; the service keeps the real expiry
            return true;
        }
        catch (RequestFailedException ex) when (BlobErrors.IsLeaseRefusal(ex) || BlobErrors.IsNotFound(ex))
        {
            return false;
        }
        catch (Exception ex) when ((BlobErrors.IsOutcomeUnknown(ex) || ex is RequestFailedException) && !cancellationToken.IsCancellationRequested)
        {
            AzureBlobLog.LeaseRenewalFailed(_logger, _blobs.CardId, ex);
            return true;
        }
    }
}
