using System.Collections.Concurrent;
using Checkpointing.FileStore;
using Checkpointing.Ownership;

namespace Checkpointing;

/// <summary>
/// Checkpoints in process memory: for tests and for pipelines that need resume-after-exception but not
/// resume-after-crash. Keeps every promise of <see cref="ICheckpointRepository"/> except surviving the process.
/// </summary>
public sealed class InMemoryCheckpointRepository : ICheckpointRepository, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, PipelineCheckpoint> _checkpoints = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _owners = new(StringComparer.Ordinal);
    private readonly object _writeGate = new();

    /// <summary>Initializes a new instance of the <see cref="InMemoryCheckpointRepository"/> class.</summary>
    public InMemoryCheckpointRepository()
    {
    }

    /// <inheritdoc/>
    public Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardFileName.Validate(cardId);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_checkpoints.GetValueOrDefault(cardId));
    }

    /// <inheritdoc/>
    public Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardFileName.Validate(cardId);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_checkpoints.ContainsKey(cardId));
    }

    /// <inheritdoc/>
    public Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardFileName.Validate(cardId);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_checkpoints.TryRemove(cardId, out _));
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<string>>([.. _checkpoints.Keys]);
    }

    /// <inheritdoc/>
    public Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardFileName.Validate(checkpoint.CardId);
        cancellationToken.ThrowIfCancellationRequested();
        Store(checkpoint);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task SaveChangeAsync(AppliedChange applied, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(applied);
        return SaveAsync(applied.Checkpoint, cancellationToken);
    }

    /// <inheritdoc/>
    public Task ImportAsync(PipelineCheckpoint checkpoint, long? expectedStoredVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        CardFileName.Validate(checkpoint.CardId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_writeGate)
        {
            var stored = _checkpoints.GetValueOrDefault(checkpoint.CardId)?.Version;
            if (stored != expectedStoredVersion)
            {
                throw new CheckpointConflictException(checkpoint.CardId, stored ?? 0, checkpoint.Version, expectedStoredVersion);
            }

            _checkpoints[checkpoint.CardId] = checkpoint;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task CompactAsync(string cardId, CancellationToken cancellationToken = default)
    {
        CardFileName.Validate(cardId);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task<CheckpointOwnership> AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        CardFileName.Validate(cardId);
        var owner = _owners.GetOrAdd(cardId, static _ => new SemaphoreSlim(1, 1));
        if (!await owner.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new CheckpointLockedException(cardId, $"memory:{cardId}", timeout);
        }

        return new Ownership(owner, cardId);
    }

    /// <summary>Does nothing: the checkpoints live as long as the repository object; it is disposable like every store.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Store(PipelineCheckpoint checkpoint)
    {
        lock (_writeGate)
        {
            var stored = _checkpoints.GetValueOrDefault(checkpoint.CardId)?.Version ?? 0;
            CheckpointConflictException.ThrowIfNotNext(checkpoint.CardId, stored, checkpoint.Version);

            _checkpoints[checkpoint.CardId] = checkpoint;
        }
    }

    private sealed class Ownership(SemaphoreSlim owner, string cardId) : CheckpointOwnership(cardId, OwnerIds.New())
    {
        protected override ValueTask ReleaseAsync()
        {
            owner.Release();
            return ValueTask.CompletedTask;
        }
    }
}
