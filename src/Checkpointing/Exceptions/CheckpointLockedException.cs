namespace Checkpointing;

/// <summary>Another manager, in this process or another, owns the card. Try again after it is disposed or its process ends.</summary>
public class CheckpointLockedException : CheckpointException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointLockedException"/> class.</summary>
    public CheckpointLockedException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointLockedException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointLockedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointLockedException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointLockedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointLockedException"/> class.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="lockPath">The lock file or resource that is held.</param>
    /// <param name="waited">How long the caller waited before giving up.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointLockedException(string cardId, string lockPath, TimeSpan waited, Exception? innerException = null)
        : this(cardId, lockPath, waited, "another checkpoint manager", innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointLockedException"/> class, naming the owner.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="lockPath">The lock file or resource that is held.</param>
    /// <param name="waited">How long the caller waited before giving up.</param>
    /// <param name="owner">Who holds the card, as far as the store knows (process, host, lease expiry).</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointLockedException(string cardId, string lockPath, TimeSpan waited, string owner, Exception? innerException)
        : base(
            $"Card '{cardId}' is owned by {owner} (held: {lockPath}; waited {waited.TotalMilliseconds:0} ms). Only one manager may "
            + "write a card at a time: wait for the owner to finish, or set CheckpointManagerOptions.LockTimeout to wait for it.",
            innerException)
    {
        CardId = cardId;
        LockPath = lockPath;
        Owner = owner;
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointLockedException"/> class for a derived ownership error.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    protected CheckpointLockedException(string cardId, string message, Exception? innerException)
        : base(message, innerException)
    {
        CardId = cardId;
    }

    /// <summary>Gets the card.</summary>
    public string? CardId { get; }

    /// <summary>Gets the lock file or resource that is held.</summary>
    public string? LockPath { get; }

    /// <summary>Gets who holds the card, as far as the store could tell, when it said.</summary>
    public string? Owner { get; }
}
