namespace Checkpointing;

/// <summary>
/// The store cannot be used: it cannot be reached or opened, refused access, or failed beneath the library (a server
/// down, a database file that cannot be opened, a full disk, a service refusing the credential). Every store maps its
/// own errors of this kind onto this type (or a subclass naming more: <c>SqliteCheckpointStoreException</c>,
/// <c>PostgreSqlStoreUnavailableException</c>, <c>CheckpointBlobStoreException</c>), so one <c>catch</c> serves all.
/// </summary>
/// <remarks>
/// Nothing stored is lost. Whether a write that failed this way went in depends on where it failed; load the card again
/// before retrying. <see cref="CheckpointStorePermissionException"/> is the case where access was refused.
/// </remarks>
public class CheckpointStoreUnavailableException : CheckpointException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointStoreUnavailableException"/> class.</summary>
    public CheckpointStoreUnavailableException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointStoreUnavailableException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointStoreUnavailableException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointStoreUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointStoreUnavailableException"/> class.</summary>
    /// <param name="store">The store, in words that locate it (a path, <c>postgresql://host:port/db</c>, a container), never a secret.</param>
    /// <param name="message">What went wrong and what to do, naming the store.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointStoreUnavailableException(string store, string message, Exception? innerException)
        : base(message, innerException)
    {
        Store = store;
    }

    /// <summary>Gets the store, in words that locate it; <see langword="null"/> when not given.</summary>
    public string? Store { get; }
}
