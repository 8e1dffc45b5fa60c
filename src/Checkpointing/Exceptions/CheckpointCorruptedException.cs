namespace Checkpointing;

/// <summary>
/// A stored checkpoint cannot be read: truncated, not JSON, a field of the wrong type, a duplicate key, nested
/// too deep, or a journal record whose checksum fails before the tail. The file is left exactly as it was.
/// </summary>
public class CheckpointCorruptedException : CheckpointException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointCorruptedException"/> class.</summary>
    public CheckpointCorruptedException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointCorruptedException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointCorruptedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointCorruptedException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointCorruptedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointCorruptedException"/> class.</summary>
    /// <param name="path">The file (or store location) that cannot be read.</param>
    /// <param name="offset">The byte offset of the problem, when known.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointCorruptedException(string path, long? offset, string problem, Exception? innerException = null)
        : base(FormatMessage(path, offset, problem), innerException)
    {
        Path = path;
        Offset = offset;
    }

    /// <summary>Gets the file (or store location) that cannot be read.</summary>
    public string? Path { get; }

    /// <summary>Gets the byte offset of the problem, when known.</summary>
    public long? Offset { get; }

    private static string FormatMessage(string path, long? offset, string problem) =>
        offset is { } at
            ? $"Checkpoint file '{path}' is corrupted at byte {at}: {problem}"
            : $"Checkpoint file '{path}' is corrupted: {problem}";
}
