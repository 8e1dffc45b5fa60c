namespace Checkpointing;

/// <summary>
/// A stored checkpoint is larger than the configured limit and was not read, or a save would have made a file larger than
/// it and wrote nothing. The files are left as they were.
/// </summary>
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

    private CheckpointTooLargeException(string message, string path, long size, long limit)
        : base(message)
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

    /// <summary>The error for a save that would make <paramref name="path"/> larger than the limit: the store refuses it before writing.</summary>
    internal static CheckpointTooLargeException ForWrite(string path, long size, long limit) => new(
        $"Saving would make checkpoint file '{path}' {size} bytes, over the limit of {limit} bytes "
        + "(FileSystemCheckpointRepositoryOptions.MaxFileBytes), which the next load would refuse; nothing was written. "
        + $"Raise MaxFileBytes (at most {Array.MaxLength} bytes), or keep large data out of the checkpoint (store it as an artifact and record its path).",
        path,
        size,
        limit);
}
