namespace Checkpointing;

/// <summary>A stored checkpoint is larger than the configured limit and was not read. The file is left as it was.</summary>
public sealed class CheckpointTooLargeException : CheckpointException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointTooLargeException"/> class.</summary>
    public CheckpointTooLargeException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointTooLargeException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointTooLargeException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointTooLargeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointTooLargeException"/> class.</summary>
    /// <param name="path">The file that is too large.</param>
    /// <param name="size">Its size in bytes.</param>
    /// <param name="limit">The configured limit in bytes.</param>
    public CheckpointTooLargeException(string path, long size, long limit)
        : base($"Checkpoint file '{path}' is {size} bytes, over the limit of {limit} bytes (FileSystemCheckpointRepositoryOptions.MaxFileBytes).")
    {
        Path = path;
        Size = size;
        Limit = limit;
    }

    /// <summary>Gets the file that is too large.</summary>
    public string? Path { get; }

    /// <summary>Gets its size in bytes.</summary>
    public long Size { get; }

    /// <summary>Gets the configured limit in bytes.</summary>
    public long Limit { get; }
}
