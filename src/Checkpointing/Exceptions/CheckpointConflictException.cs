namespace Checkpointing;

/// <summary>
/// A change was made against a version of the checkpoint that is no longer the stored one: somebody else
/// changed it first. Nothing was written; load the checkpoint again and redo the change.
/// </summary>
public sealed class CheckpointConflictException : CheckpointException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointConflictException"/> class.</summary>
    public CheckpointConflictException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointConflictException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointConflictException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointConflictException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointConflictException"/> class.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="storedVersion">The version in the store (0 when none is stored).</param>
    /// <param name="attemptedVersion">The version the refused change would have produced.</param>
    public CheckpointConflictException(string cardId, long storedVersion, long attemptedVersion)
        : base($"Checkpoint of card '{cardId}' is at version {storedVersion}; a change producing version {attemptedVersion} was made against version {attemptedVersion - 1} and was refused.")
    {
        CardId = cardId;
        StoredVersion = storedVersion;
        AttemptedVersion = attemptedVersion;
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="CheckpointConflictException"/> class for a refused
    /// <see cref="ICheckpointRepository.ImportAsync"/>: the stored version is not the one the caller expected.
    /// </summary>
    /// <param name="cardId">The card.</param>
    /// <param name="storedVersion">The version in the store (0 when none is stored).</param>
    /// <param name="attemptedVersion">The version of the checkpoint that was to be stored.</param>
    /// <param name="expectedStoredVersion">The version the caller expected to replace, or <see langword="null"/> for "nothing stored".</param>
    public CheckpointConflictException(string cardId, long storedVersion, long attemptedVersion, long? expectedStoredVersion)
        : base(expectedStoredVersion is null
            ? $"Card '{cardId}' is already stored (version {storedVersion}); storing version {attemptedVersion} in its place was refused. Delete it first, or ask to overwrite it."
            : $"Card '{cardId}' is at version {storedVersion}, not {expectedStoredVersion} as expected; storing version {attemptedVersion} in its place was refused. Read it again and retry.")
    {
        CardId = cardId;
        StoredVersion = storedVersion;
        AttemptedVersion = attemptedVersion;
    }

    /// <summary>
    /// The version rule every store keeps: a write that produces <paramref name="newVersion"/> is accepted only when the
    /// store holds <c>newVersion - 1</c> (0 when nothing is stored). Throws when it does not.
    /// </summary>
    /// <param name="cardId">The card.</param>
    /// <param name="storedVersion">The version in the store (0 when none is stored).</param>
    /// <param name="newVersion">The version the write would produce.</param>
    /// <exception cref="CheckpointConflictException"><paramref name="storedVersion"/> is not <c>newVersion - 1</c>.</exception>
    public static void ThrowIfNotNext(string cardId, long storedVersion, long newVersion)
    {
        if (storedVersion != newVersion - 1)
        {
            throw new CheckpointConflictException(cardId, storedVersion, newVersion);
        }
    }

    /// <summary>Gets the card.</summary>
    public string? CardId { get; }

    /// <summary>Gets the version in the store (0 when none is stored).</summary>
    public long StoredVersion { get; }

    /// <summary>Gets the version the refused change would have produced.</summary>
    public long AttemptedVersion { get; }
}
