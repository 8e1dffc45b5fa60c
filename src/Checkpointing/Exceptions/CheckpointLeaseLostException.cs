namespace Checkpointing;

/// <summary>
/// A write was made under a lease this worker no longer holds: its lease expired and another worker took the card
/// (or a write without ownership went in), so the card's fencing token moved on. Nothing was written. The worker must
/// stop working on the card; the new owner's state is intact.
/// </summary>
public sealed class CheckpointLeaseLostException : CheckpointLockedException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointLeaseLostException"/> class.</summary>
    public CheckpointLeaseLostException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointLeaseLostException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointLeaseLostException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointLeaseLostException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointLeaseLostException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointLeaseLostException"/> class.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="heldToken">The fencing token of the lease the writer held.</param>
    /// <param name="currentToken">The card's current fencing token.</param>
    /// <param name="currentOwner">The worker that holds the card now, if any.</param>
    public CheckpointLeaseLostException(string cardId, long heldToken, long currentToken, string? currentOwner)
        : base(cardId, $"The lease on card '{cardId}' was lost: this writer holds fencing token {heldToken}, but the card's current token is {currentToken}"
            + (currentOwner is null ? " (no worker holds it now)" : $" (held by worker '{currentOwner}')")
            + ". The lease expired and the card was taken over; the write was refused and nothing was written.", null)
    {
        HeldToken = heldToken;
        CurrentToken = currentToken;
        CurrentOwner = currentOwner;
    }

    /// <summary>Gets the fencing token of the lease the refused writer held.</summary>
    public long HeldToken { get; }

    /// <summary>Gets the card's current fencing token.</summary>
    public long CurrentToken { get; }

    /// <summary>Gets the worker that holds the card now, if any.</summary>
    public string? CurrentOwner { get; }
}
