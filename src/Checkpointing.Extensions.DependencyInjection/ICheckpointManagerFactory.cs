namespace Checkpointing;

/// <summary>
/// Creates the <see cref="CheckpointManager"/> of a card with what the container holds: the registered store, the
/// validated <see cref="CheckpointManagerOptions"/>, the <c>ILoggerFactory</c> and the <see cref="TimeProvider"/>.
/// Registered by <c>services.AddCheckpointing()</c>.
/// </summary>
public interface ICheckpointManagerFactory
{
    /// <summary>
    /// Creates a manager for <paramref name="cardId"/>. Dispose it (<c>await using</c>) when the card's run ends; any
    /// still undisposed when the container is disposed are disposed then, before the store.
    /// </summary>
    /// <param name="cardId">The card (work item) the pipeline runs for.</param>
    /// <returns>A manager that has not opened the card yet: call <see cref="CheckpointManager.ResumeOrCreateAsync"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="cardId"/> is not a valid card id.</exception>
    /// <exception cref="ObjectDisposedException">The container has been disposed.</exception>
    CheckpointManager Create(string cardId);
}
