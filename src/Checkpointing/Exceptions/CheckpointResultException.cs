namespace Checkpointing;

/// <summary>
/// The stored result of a completed stage cannot be read as the type the pipeline now asks for (its result type changed
/// since the stage ran, say). Change the stage's <see cref="StageOptions.Fingerprint"/> to run it again.
/// </summary>
public sealed class CheckpointResultException : CheckpointException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointResultException"/> class.</summary>
    public CheckpointResultException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointResultException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointResultException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointResultException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointResultException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointResultException"/> class.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="stageName">The completed stage.</param>
    /// <param name="resultType">The type the stored result was read as.</param>
    /// <param name="innerException">The deserialization error.</param>
    public CheckpointResultException(string cardId, string stageName, Type resultType, Exception innerException)
        : base(
            $"The stored result of completed stage '{stageName}' of card '{cardId}' cannot be read as {resultType}: "
            + $"{innerException?.Message} If the stage's result type changed, change its StageOptions.Fingerprint so it runs again.",
            innerException)
    {
        CardId = cardId;
        StageName = stageName;
        ResultType = resultType;
    }

    /// <summary>Gets the card.</summary>
    public string? CardId { get; }

    /// <summary>Gets the stage.</summary>
    public string? StageName { get; }

    /// <summary>Gets the type the stored result was read as.</summary>
    public Type? ResultType { get; }
}
