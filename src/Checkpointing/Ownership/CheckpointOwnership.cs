namespace Checkpointing;

/// <summary>
/// Ownership of one card, as <see cref="ICheckpointRepository.AcquireOwnershipAsync"/> returns it: while it is held, this
/// owner is the card's only writer. Disposing it gives the card up; a second dispose does nothing.
/// </summary>
/// <remarks>
/// Every store returns one: the file store an OS lock, the in-memory store a semaphore, SQLite and PostgreSQL a lease
/// row renewed in the background, Azure Blob a blob lease. A store may return a subclass that says more (PostgreSQL's
/// <c>CardClaim</c> carries the fencing token).
/// </remarks>
public abstract class CheckpointOwnership : IAsyncDisposable
{
    private int _released;

    /// <summary>Initializes a new instance of the <see cref="CheckpointOwnership"/> class.</summary>
    /// <param name="cardId">The card owned.</param>
    /// <param name="ownerId">Who owns it, as the store records it.</param>
    protected CheckpointOwnership(string cardId, string ownerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(cardId);
        ArgumentException.ThrowIfNullOrEmpty(ownerId);
        CardId = cardId;
        OwnerId = ownerId;
    }

    /// <summary>Gets the card owned.</summary>
    public string CardId { get; }

    /// <summary>Gets the owner, as the store records it (<c>&lt;machine&gt;/&lt;process id&gt;/&lt;random&gt;</c> unless configured).</summary>
    public string OwnerId { get; }

    /// <summary>Gets a value indicating whether this handle was disposed.</summary>
    public bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>Gives the card up. Only the first call releases; it never throws past a durable state (a failed release is logged and the lease expires).</summary>
    /// <returns>A task that completes when the card is given up.</returns>
    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return Interlocked.Exchange(ref _released, 1) == 0 ? ReleaseAsync() : ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public override string ToString() => $"card '{CardId}' owned by '{OwnerId}'";

    /// <summary>Gives the card up; called once, by the first <see cref="DisposeAsync"/>.</summary>
    /// <returns>A task that completes when the card is given up.</returns>
    protected abstract ValueTask ReleaseAsync();
}
