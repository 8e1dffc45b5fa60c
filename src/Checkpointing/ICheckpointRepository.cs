namespace Checkpointing;

/// <summary>
/// Where checkpoints live. Every store (files, memory, SQLite, PostgreSQL, ...) keeps the same promises:
/// <list type="bullet">
/// <item>a write that returned is durable, and a crash at any instant leaves the old or the new state;</item>
/// <item>every write carries the checkpoint's <see cref="PipelineCheckpoint.Version"/> and is refused with
/// <see cref="CheckpointConflictException"/> when it was made against a version that is no longer stored;</item>
/// <item>at most one owner at a time writes a card (<see cref="AcquireOwnershipAsync"/>);</item>
/// <item>a stored checkpoint that cannot be read raises a <see cref="CheckpointException"/>, never "no checkpoint".</item>
/// </list>
/// </summary>
public interface ICheckpointRepository
{
    /// <summary>Loads the checkpoint of a card, with every persisted change applied.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The checkpoint, or <see langword="null"/> when none is stored.</returns>
    /// <exception cref="CheckpointCorruptedException">The stored checkpoint cannot be read.</exception>
    /// <exception cref="CheckpointVersionException">The stored checkpoint has a newer schema.</exception>
    Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken = default);

    /// <summary>Tells whether a checkpoint is stored for a card, without reading it.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when one is stored.</returns>
    Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the stored checkpoint of a card and every change recorded for it.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when something was deleted.</returns>
    Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default);

    /// <summary>Lists the cards that have a stored checkpoint.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The card ids, in no particular order.</returns>
    Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores a whole checkpoint, replacing what is stored for its card.</summary>
    /// <param name="checkpoint">The checkpoint; the stored version (0 when none) must be <c>checkpoint.Version - 1</c>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <exception cref="CheckpointConflictException">The stored version is not <c>checkpoint.Version - 1</c>.</exception>
    /// <exception cref="CheckpointLockedException">Another owner holds the card.</exception>
    Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores one change. A store may persist only <see cref="AppliedChange.Change"/> (a journal record, a row) or the
    /// whole <see cref="AppliedChange.Checkpoint"/>; either way a later <see cref="LoadAsync"/> returns that checkpoint.
    /// </summary>
    /// <param name="applied">The change and the checkpoint it produces; the stored version must be <c>applied.Change.Version - 1</c>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <exception cref="CheckpointConflictException">The stored version is not <c>applied.Change.Version - 1</c>.</exception>
    /// <exception cref="CheckpointLockedException">Another owner holds the card.</exception>
    Task SaveChangeAsync(AppliedChange applied, CancellationToken cancellationToken = default);

    /// <summary>Folds every recorded change of a card into one complete stored document. A no-op for stores without a journal.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    Task CompactAsync(string cardId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the caller the only writer of a card until the returned handle is disposed or the process dies.
    /// Reading (<see cref="LoadAsync"/>, <see cref="ListCardIdsAsync"/>) needs no ownership.
    /// </summary>
    /// <param name="cardId">The card.</param>
    /// <param name="timeout">How long to wait for another owner to let go; <see cref="TimeSpan.Zero"/> fails at once.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A handle that names the card and its owner, and gives up ownership when disposed.</returns>
    /// <exception cref="CheckpointLockedException">Another owner still holds the card when the timeout ends.</exception>
    Task<CheckpointOwnership> AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a whole checkpoint exactly as it is, its <see cref="PipelineCheckpoint.Version"/> included, replacing what
    /// is stored for its card only when the stored version is <paramref name="expectedStoredVersion"/>: the write behind
    /// copying a run from one store to another (<see cref="CheckpointCopy"/>). A crash leaves the old or the new state.
    /// </summary>
    /// <param name="checkpoint">The checkpoint, at any version (0 for a file of the Python manager).</param>
    /// <param name="expectedStoredVersion">The version that must be stored now, or <see langword="null"/> when the card must have nothing stored.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the checkpoint is durable.</returns>
    /// <exception cref="CheckpointConflictException">What is stored is not <paramref name="expectedStoredVersion"/>; nothing was written.</exception>
    /// <exception cref="CheckpointLockedException">Another owner holds the card.</exception>
    /// <exception cref="NotSupportedException">The store does not implement it (the default for stores written before it existed).</exception>
    Task ImportAsync(PipelineCheckpoint checkpoint, long? expectedStoredVersion, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(
            $"{GetType().Name} cannot store a checkpoint with its own version, so runs cannot be copied into it. Copy into a file, SQLite or PostgreSQL store instead.");
}
