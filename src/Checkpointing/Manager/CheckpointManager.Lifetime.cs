namespace Checkpointing;

// Owning the card and letting it go: ownership taken on opening, compaction and release on disposal.
// (The class is documented in CheckpointManager.cs.)
public sealed partial class CheckpointManager
{
    /// <summary>
    /// Compacts the stored document and gives up ownership of the card. Never throws: every change that returned is
    /// already durable, so a failed compaction (or a store disposed before this manager) is logged and the card is
    /// released all the same.
    /// </summary>
    /// <returns>A task that completes when ownership is released.</returns>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_ownership is not null && _checkpoint is not null)
            {
                await CompactQuietlyAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                await ReleaseOwnershipAsync().ConfigureAwait(false);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>Gives the card up; a store that cannot release it any more (disposed, unreachable) lets it expire.</summary>
    private async Task ReleaseOwnershipAsync()
    {
        if (_ownership is not { } ownership)
        {
            return;
        }

        _ownership = null;
        try
        {
            await ownership.DisposeAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Disposal must not throw past a durable state; the failure is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ReleaseFailed(_logger, CardId, ex);
        }
    }

    /// <summary>Folds the journal into the snapshot after a durable change; a failure only leaves the journal longer.</summary>
    private async Task CompactQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _repository.CompactAsync(CardId, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The change before it is durable; a compaction failure must not report it as failed.
        catch (ObjectDisposedException ex)
        {
            Log.StoreDisposedFirst(_logger, CardId, ex);
        }
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.CompactionFailed(_logger, CardId, ex);
        }
    }

    private async Task EnsureOwnershipAsync(CancellationToken cancellationToken)
    {
        _ownership ??= await _repository.AcquireOwnershipAsync(CardId, _options.LockTimeout, cancellationToken).ConfigureAwait(false);
    }
}
