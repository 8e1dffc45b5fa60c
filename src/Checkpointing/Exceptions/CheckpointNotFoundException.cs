namespace Checkpointing;

/// <summary>An operation on a stored run (rewind, copy) named a card that has no checkpoint in the store. Nothing was changed.</summary>
public sealed class CheckpointNotFoundException : CheckpointException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointNotFoundException"/> class.</summary>
    public CheckpointNotFoundException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointNotFoundException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointNotFoundException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointNotFoundException"/> class for a card.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="where">The store that was searched, in words.</param>
    public CheckpointNotFoundException(string cardId, string where)
        : base($"Card '{cardId}' has no checkpoint in {where}; nothing was changed. Check the card id and the store.")
    {
        CardId = cardId;
    }

    /// <summary>Gets the card.</summary>
    public string? CardId { get; }
}
