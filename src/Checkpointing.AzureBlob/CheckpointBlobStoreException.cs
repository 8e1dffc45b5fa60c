namespace Checkpointing.AzureBlob;

/// <summary>
/// A request to Azure Blob Storage failed in a way the store cannot resolve: the service could not be reached or kept
/// failing after the client's retries (<see cref="IsTransient"/>), or it refused the request (authentication, permissions,
/// a missing container). The message names the container, the card and the service's status and error code, never a
/// credential. Whether a write that failed this way went in is unknown to the caller: the owner reads the card back
/// before its next write, and loading the card tells.
/// </summary>
public sealed class CheckpointBlobStoreException : CheckpointStoreUnavailableException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointBlobStoreException"/> class.</summary>
    public CheckpointBlobStoreException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointBlobStoreException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointBlobStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointBlobStoreException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointBlobStoreException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointBlobStoreException"/> class.</summary>
    /// <param name="container">The container.</param>
    /// <param name="cardId">The card, or <see langword="null"/> for an operation on the whole container.</param>
    /// <param name="status">The HTTP status (0 when no answer arrived).</param>
    /// <param name="errorCode">The service's error code, when it sent one.</param>
    /// <param name="isTransient">Whether trying again later may succeed.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointBlobStoreException(string container, string? cardId, int status, string? errorCode, bool isTransient, Exception innerException)
        : base($"azure-blob container '{container}'", Describe(container, cardId, status, errorCode, isTransient, innerException), innerException)
    {
        Container = container;
        CardId = cardId;
        Status = status;
        ErrorCode = errorCode;
        IsTransient = isTransient;
    }

    /// <summary>Gets the container.</summary>
    public string? Container { get; }

    /// <summary>Gets the card, when the operation was on one.</summary>
    public string? CardId { get; }

    /// <summary>Gets the HTTP status of the last answer (0 when none arrived).</summary>
    public int Status { get; }

    /// <summary>Gets the service's error code (<c>AuthorizationPermissionMismatch</c>, <c>ContainerNotFound</c>, ...), when it sent one.</summary>
    public string? ErrorCode { get; }

    /// <summary>Gets a value indicating whether the failure may pass (unreachable, timeouts, 5xx after the client's retries).</summary>
    public bool IsTransient { get; }

    private static string Describe(string container, string? cardId, int status, string? errorCode, bool isTransient, Exception? innerException)
    {
        var what = cardId is null ? $"container '{container}'" : $"card '{cardId}' in container '{container}'";
        var answer = status == 0 ? "no answer" : $"status {status}{(errorCode is null ? string.Empty : $" {errorCode}")}";
        var advice = isTransient
            ? "The storage service is unreachable or failing; try again later (a write that failed may have been applied: load the card to know)."
            : "The service refused the request; check the container exists and the credential may read, write and lease blobs in it.";
        return $"Azure Blob Storage failed on {what} ({answer}): {innerException?.Message} {advice}";
    }
}
