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
    /// <param name="waited">How long the caller waited before giving up; zero when it did not wait (a zero timeout).</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointLockedException(string cardId, string lockPath, TimeSpan waited, Exception? innerException = null)
        : this(cardId, lockPath, waited, "another checkpoint manager", leaseExpiresAt: null, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointLockedException"/> class, naming the owner and its lease.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="lockPath">The lock file or resource that is held.</param>
    /// <param name="waited">How long the caller waited before giving up; zero when it did not wait (a zero timeout).</param>
    /// <param name="owner">Who holds the card, in words (for example <c>process 4242 on host 'build-7'</c>).</param>
    /// <param name="leaseExpiresAt">When the owner's lease runs out unless it renews it, or <see langword="null"/> for a lock without a lease.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointLockedException(string cardId, string lockPath, TimeSpan waited, string owner, DateTimeOffset? leaseExpiresAt, Exception? innerException = null)
        : base(
            string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"Card '{cardId}' is owned by {owner}{(leaseExpiresAt is { } expires ? $", whose lease expires at {expires:O} unless renewed" : string.Empty)} (held: {lockPath}; {(waited > TimeSpan.Zero ? $"waited {waited.TotalMilliseconds:0} ms" : "not waited for: the timeout is zero")}). Only one manager may write a card at a time; to wait for the owner, set CheckpointManagerOptions.LockTimeout (or pass a timeout to AcquireOwnershipAsync)."),
            innerException)
    {
        CardId = cardId;
        LockPath = lockPath;
        Owner = owner;
        LeaseExpiresAt = leaseExpiresAt;
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

    /// <summary>Gets who holds the card, in words, when the store knows it.</summary>
    public string? Owner { get; }

    /// <summary>Gets when the owner's lease runs out unless it renews it, for stores that grant leases and know the expiry.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; }
}
