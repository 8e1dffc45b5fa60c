namespace Checkpointing;

/// <summary>The base of every error this library raises about stored checkpoints.</summary>
public class CheckpointException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointException"/> class.</summary>
    public CheckpointException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
