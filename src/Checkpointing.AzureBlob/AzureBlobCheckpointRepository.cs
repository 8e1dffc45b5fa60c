using System.Collections.Concurrent;
using Azure.Storage.Blobs;
using Checkpointing.Ownership;
using Microsoft.Extensions.Logging;

namespace Checkpointing.AzureBlob;

/// <summary>
/// Checkpoints in an Azure Blob Storage container, in the file store's formats: per card, <c>&lt;card&gt;.json</c>, a
/// block blob holding the snapshot document the Python manager can read, and <c>&lt;card&gt;.journal</c>, an append blob
/// holding the checksummed journal of the changes since, which also carries the card's lease.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A change costs one request: an append under <c>If-Append-Position-Equal</c> (the length the owner last saw)
/// and the lease id, so a change is never lost, applied twice, or written by an owner that lost the card. The journal is
/// folded into a new snapshot when it outgrows the snapshot and on <see cref="CompactAsync"/>.</item>
/// <item>One owner per card: <see cref="AcquireOwnershipAsync"/> takes a blob lease on the journal, renews it in the
/// background and releases it when disposed; if the process dies, the lease expires after
/// <see cref="AzureBlobCheckpointRepositoryOptions.LeaseDuration"/>. An owner whose lease was taken gets
/// <see cref="CheckpointLeaseLostException"/>; writes without ownership take the lease for their duration.</item>
/// <item>Loading needs no lease. A blob damaged by anything but this store raises <see cref="CheckpointCorruptedException"/>
/// naming the blob and offset.</item>
/// </list>
/// </remarks>
public sealed partial class AzureBlobCheckpointRepository : ICheckpointRepository, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, CardWriter> _owned = new(StringComparer.Ordinal);
    private readonly AzureBlobCheckpointRepositoryOptions _options;
    private readonly ILogger _logger;
    private volatile bool _containerReady;

    /// <summary>Initializes a new instance of the <see cref="AzureBlobCheckpointRepository"/> class.</summary>
    /// <param name="container">
    /// The container (its URI and credential: a connection string, <c>DefaultAzureCredential</c>, a SAS). Its client
    /// options' retry policy is the one used for transient failures.
    /// </param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Where lease waits, lease loss, compactions and resolved failures are logged.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public AzureBlobCheckpointRepository(BlobContainerClient container, AzureBlobCheckpointRepositoryOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        _options = options ?? new AzureBlobCheckpointRepositoryOptions();
        _options.Validate();
        _logger = LoggerFactories.Create<AzureBlobCheckpointRepository>(loggerFactory);
        Container = container;
    }

    /// <summary>Initializes a new instance of the <see cref="AzureBlobCheckpointRepository"/> class.</summary>
    /// <param name="connectionString">A storage account connection string (for Azurite: <c>UseDevelopmentStorage=true</c>).</param>
    /// <param name="containerName">The container.</param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults; <see cref="AzureBlobCheckpointRepositoryOptions.ClientOptions"/> sets the retry policy.</param>
    /// <param name="loggerFactory">Where lease waits, lease loss, compactions and resolved failures are logged.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="FormatException">The connection string cannot be parsed.</exception>
    public AzureBlobCheckpointRepository(string connectionString, string containerName, AzureBlobCheckpointRepositoryOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(CreateContainer(connectionString, containerName, options), options, loggerFactory)
    {
    }

    /// <summary>Gets the container the checkpoints are stored in.</summary>
    public BlobContainerClient Container { get; }

    /// <inheritdoc/>
    /// <exception cref="CheckpointBlobStoreException">The storage service failed or refused the request.</exception>
    public Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken = default) =>
        GuardAsync(cardId, () => LoadCoreAsync(cardId, cancellationToken), cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="CheckpointBlobStoreException">The storage service failed or refused the request.</exception>
    public Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken = default) =>
        GuardAsync(cardId, () => ExistsCoreAsync(cardId, cancellationToken), cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="CheckpointBlobStoreException">The storage service failed or refused the request.</exception>
    public Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default) =>
        GuardAsync(cardId, () => DeleteCoreAsync(cardId, cancellationToken), cancellationToken);

    private async Task<PipelineCheckpoint?> LoadCoreAsync(string cardId, CancellationToken cancellationToken)
    {
        var blobs = CardBlobs.For(Container, cardId);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        if (_owned.TryGetValue(blobs.BaseName, out var writer))
        {
            return await WithGateAsync(writer, w => w.LoadAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        return (await CardReader.ReadAsync(blobs, cancellationToken).ConfigureAwait(false)).Checkpoint;
    }

    private async Task<bool> ExistsCoreAsync(string cardId, CancellationToken cancellationToken)
    {
        var blobs = CardBlobs.For(Container, cardId);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        return (await blobs.Snapshot.ExistsAsync(cancellationToken).ConfigureAwait(false)).Value;
    }

    private async Task<bool> DeleteCoreAsync(string cardId, CancellationToken cancellationToken)
    {
        var blobs = CardBlobs.For(Container, cardId);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        if (_owned.TryGetValue(blobs.BaseName, out var owned))
        {
            return await WithGateAsync(owned, w => w.DeleteAsync(keepLease: true, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        var writer = await OpenWriterAsync(blobs, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            return await writer.DeleteAsync(keepLease: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="CheckpointBlobStoreException">The storage service failed or refused the request.</exception>
    public Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return WriteAsync(checkpoint.CardId, async writer =>
        {
            await writer.SaveAsync(checkpoint, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    /// <exception cref="CheckpointBlobStoreException">The storage service failed or refused the request.</exception>
    public Task SaveChangeAsync(AppliedChange applied, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(applied);
        return WriteAsync(applied.Checkpoint.CardId, async writer =>
        {
            await writer.SaveChangeAsync(applied.Checkpoint, applied.Change, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    /// <exception cref="CheckpointBlobStoreException">The storage service failed or refused the request.</exception>
    public Task CompactAsync(string cardId, CancellationToken cancellationToken = default) =>
        WriteAsync(cardId, async writer =>
        {
            await writer.CompactAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>
    /// Ownership is a blob lease on the card's journal, renewed every third of
    /// <see cref="AzureBlobCheckpointRepositoryOptions.LeaseDuration"/> until the handle is disposed. A lease whose owner
    /// stopped renewing (its process died) expires on the service and can then be taken. <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits without limit.
    /// </remarks>
    /// <exception cref="CheckpointBlobStoreException">The storage service failed or refused the request.</exception>
    public Task<CheckpointOwnership> AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        GuardAsync(cardId, () => AcquireOwnershipCoreAsync(cardId, timeout, cancellationToken), cancellationToken);

    private async Task<CheckpointOwnership> AcquireOwnershipCoreAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var blobs = CardBlobs.For(Container, cardId);
        if (_owned.ContainsKey(blobs.BaseName))
        {
            throw new CheckpointLockedException(cardId, blobs.JournalName, TimeSpan.Zero);
        }

        var writer = await OpenWriterAsync(blobs, timeout, cancellationToken).ConfigureAwait(false);
        if (!_owned.TryAdd(blobs.BaseName, writer))
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            throw new CheckpointLockedException(cardId, blobs.JournalName, TimeSpan.Zero);
        }

        return new Ownership(this, writer, cardId);
    }

    /// <summary>Releases the leases this repository still holds.</summary>
    /// <returns>A task that completes when they are released.</returns>
    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _owned.Values)
        {
            await ReleaseAsync(writer).ConfigureAwait(false);
        }
    }

    private static BlobContainerClient CreateContainer(string connectionString, string containerName, AzureBlobCheckpointRepositoryOptions? options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(containerName);
        return new BlobContainerClient(connectionString, containerName, (options ?? new AzureBlobCheckpointRepositoryOptions()).CreateClientOptions());
    }

    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (_options.CreateContainerIfNotExists && !_containerReady)
        {
            await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _containerReady = true;
        }
    }

    private async Task<CardWriter> OpenWriterAsync(CardBlobs blobs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        }

        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var waited = time.GetElapsedTime(started);
            if (await CardLease.TryAcquireAsync(blobs, _options, _logger, cancellationToken).ConfigureAwait(false) is { } lease)
            {
                if (waited > TimeSpan.Zero)
                {
                    AzureBlobLog.LockWaited(_logger, blobs.CardId, blobs.JournalName, waited.TotalMilliseconds);
                }

                try
                {
                    return await CardWriter.OpenAsync(blobs, lease, _options, _logger, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await lease.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }

            var infinite = timeout == Timeout.InfiniteTimeSpan;
            if (!infinite && waited >= timeout)
            {
                throw new CheckpointLockedException(blobs.CardId, blobs.JournalName, timeout == TimeSpan.Zero ? TimeSpan.Zero : waited);
            }

            var remaining = infinite ? _options.LockPollInterval : timeout - waited;
            await Task.Delay(remaining < _options.LockPollInterval ? remaining : _options.LockPollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<T> WriteAsync<T>(string cardId, Func<CardWriter, Task<T>> write, CancellationToken cancellationToken) =>
        GuardAsync(cardId, () => WriteCoreAsync(cardId, write, cancellationToken), cancellationToken);

    private async Task<T> WriteCoreAsync<T>(string cardId, Func<CardWriter, Task<T>> write, CancellationToken cancellationToken)
    {
        var blobs = CardBlobs.For(Container, cardId);
        if (_owned.TryGetValue(blobs.BaseName, out var owned))
        {
            return await WithGateAsync(owned, write, cancellationToken).ConfigureAwait(false);
        }

        var writer = await OpenWriterAsync(blobs, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            return await write(writer).ConfigureAwait(false);
        }
    }

    private static async Task<T> WithGateAsync<T>(CardWriter writer, Func<CardWriter, Task<T>> action, CancellationToken cancellationToken)
    {
        await writer.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await action(writer).ConfigureAwait(false);
        }
        finally
        {
            writer.Gate.Release();
        }
    }

    private async Task ReleaseAsync(CardWriter writer)
    {
        if (!_owned.TryGetValue(writer.Blobs.BaseName, out var current) || current != writer)
        {
            return;
        }

        await writer.Gate.WaitAsync().ConfigureAwait(false);
        var removed = _owned.TryRemove(new KeyValuePair<string, CardWriter>(writer.Blobs.BaseName, writer));
        writer.Gate.Release();
        if (removed)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class Ownership(AzureBlobCheckpointRepository repository, CardWriter writer, string cardId)
        : CheckpointOwnership(cardId, OwnerIds.New())
    {
        protected override ValueTask ReleaseAsync() => new(repository.ReleaseAsync(writer));
    }
}
