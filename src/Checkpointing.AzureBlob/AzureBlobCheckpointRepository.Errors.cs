using Azure;

namespace Checkpointing.AzureBlob;

public sealed partial class AzureBlobCheckpointRepository
{
    /// <summary>Runs an operation, turning the storage client's failures that reach the caller into <see cref="CheckpointBlobStoreException"/>.</summary>
    private async Task<T> GuardAsync<T>(string? cardId, Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            throw new CheckpointBlobStoreException(Container.Name, cardId, ex.Status, ex.ErrorCode, BlobErrors.IsOutcomeUnknown(ex), ex);
        }
        catch (Exception ex) when (BlobErrors.IsOutcomeUnknown(ex) && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new CheckpointBlobStoreException(Container.Name, cardId, 0, null, isTransient: true, ex);
        }
    }
}
