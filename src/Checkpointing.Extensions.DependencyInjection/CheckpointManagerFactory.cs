using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Checkpointing;

/// <summary>
/// The container's <see cref="ICheckpointManagerFactory"/>. It resolves the store when it is built, so the container
/// (which disposes singletons in the reverse order of their creation) disposes it, and with it every manager it made
/// that is still open, before the store.
/// </summary>
internal sealed class CheckpointManagerFactory : ICheckpointManagerFactory, IAsyncDisposable
{
    private readonly ICheckpointRepository _repository;
    private readonly CheckpointManagerOptions _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ConditionalWeakTable<CheckpointManager, object?> _managers = [];
    private readonly object _gate = new();
    private bool _disposed;

    public CheckpointManagerFactory(ICheckpointRepository repository, IOptions<CheckpointManagerOptions> options, ILoggerFactory? loggerFactory = null)
    {
        _repository = repository;
        _options = options.Value;
        _loggerFactory = loggerFactory;
    }

    public CheckpointManager Create(string cardId)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var manager = new CheckpointManager(cardId, _repository, _options, _loggerFactory);
            _managers.Add(manager, null);
            return manager;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<CheckpointManager> open;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            open = [.. _managers.Select(pair => pair.Key)];
        }

        foreach (var manager in open)
        {
            await manager.DisposeAsync().ConfigureAwait(false);   // idempotent: managers already disposed return at once
        }
    }
}
