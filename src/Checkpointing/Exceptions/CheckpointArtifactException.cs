namespace Checkpointing;

/// <summary>A completed stage's artifact is missing or no longer matches its recorded size and SHA-256.</summary>
public sealed class CheckpointArtifactException : CheckpointException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointArtifactException"/> class.</summary>
    public CheckpointArtifactException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointArtifactException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointArtifactException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointArtifactException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointArtifactException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointArtifactException"/> class.</summary>
    /// <param name="stageName">The stage.</param>
    /// <param name="path">The artifact.</param>
    /// <param name="problem">What is wrong with it.</param>
    public CheckpointArtifactException(string stageName, string path, string problem)
        : base($"Artifact '{path}' of stage '{stageName}' {problem}.")
    {
        StageName = stageName;
        ArtifactPath = path;
    }

    /// <summary>Gets the stage.</summary>
    public string? StageName { get; }

    /// <summary>Gets the artifact path.</summary>
    public string? ArtifactPath { get; }
}
