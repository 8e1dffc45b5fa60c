namespace Checkpointing;

/// <summary>A stored checkpoint was written by a newer schema than this library knows. The file is left as it was.</summary>
public sealed class CheckpointVersionException : CheckpointException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointVersionException"/> class.</summary>
    public CheckpointVersionException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointVersionException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointVersionException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointVersionException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointVersionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointVersionException"/> class.</summary>
    /// <param name="path">The file or store location.</param>
    /// <param name="foundVersion">The schema version found.</param>
    /// <param name="supportedVersion">The newest schema version this library reads.</param>
    public CheckpointVersionException(string path, long foundVersion, int supportedVersion)
        : base($"Checkpoint '{path}' has schema_version {foundVersion}; this library reads up to {supportedVersion}. Upgrade the Checkpointing package to read it.")
    {
        Path = path;
        FoundVersion = foundVersion;
        SupportedVersion = supportedVersion;
    }

    /// <summary>Gets the file or store location.</summary>
    public string? Path { get; }

    /// <summary>Gets the schema version found.</summary>
    public long FoundVersion { get; }

    /// <summary>Gets the newest schema version this library reads.</summary>
    public int SupportedVersion { get; }
}
