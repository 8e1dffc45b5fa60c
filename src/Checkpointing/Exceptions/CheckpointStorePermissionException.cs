namespace Checkpointing;

/// <summary>
/// The store refused access: the database user lacks a privilege, the file may not be read or written, the credential
/// may not use the container. The message says which grant is missing. Nothing was written.
/// </summary>
public class CheckpointStorePermissionException : CheckpointStoreUnavailableException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointStorePermissionException"/> class.</summary>
    public CheckpointStorePermissionException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointStorePermissionException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointStorePermissionException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointStorePermissionException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointStorePermissionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointStorePermissionException"/> class.</summary>
    /// <param name="store">The store, in words that locate it, never a secret.</param>
    /// <param name="message">What was refused and which grant would allow it.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointStorePermissionException(string store, string message, Exception? innerException)
        : base(store, message, innerException)
    {
    }
}
