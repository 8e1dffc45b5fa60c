using Azure;
using Azure.Storage.Blobs.Models;

namespace Checkpointing.AzureBlob;

/// <summary>What the storage service's refusals mean for a checkpoint store.</summary>
internal static class BlobErrors
{
    /// <summary>The request named a lease that is not (or no longer) the blob's: the writer lost the card.</summary>
    public static bool IsLeaseRefusal(RequestFailedException ex) =>
        ex.ErrorCode == BlobErrorCode.LeaseIdMismatchWithBlobOperation
        || ex.ErrorCode == BlobErrorCode.LeaseIdMismatchWithLeaseOperation
        || ex.ErrorCode == BlobErrorCode.LeaseIdMissing
        || ex.ErrorCode == BlobErrorCode.LeaseLost
        || ex.ErrorCode == BlobErrorCode.LeaseNotPresentWithBlobOperation
        || ex.ErrorCode == BlobErrorCode.LeaseNotPresentWithLeaseOperation;

    /// <summary>Another lease holds the blob.</summary>
    public static bool IsLeaseHeld(RequestFailedException ex) => ex.ErrorCode == BlobErrorCode.LeaseAlreadyPresent;

    /// <summary>An <c>If-Match</c> or <c>If-None-Match: *</c> condition did not hold: the blob is not the version the writer last saw.</summary>
    public static bool IsConditionFailure(RequestFailedException ex) =>
        ex.ErrorCode == BlobErrorCode.ConditionNotMet || ex.ErrorCode == BlobErrorCode.BlobAlreadyExists;

    /// <summary>The append blob is not as long as the writer last saw it.</summary>
    public static bool IsAppendPositionFailure(RequestFailedException ex) => ex.ErrorCode == BlobErrorCode.AppendPositionConditionNotMet;

    /// <summary>The blob does not exist (but its container does: a missing container must never read as "no checkpoint").</summary>
    public static bool IsNotFound(RequestFailedException ex) => ex.Status == 404 && ex.ErrorCode != BlobErrorCode.ContainerNotFound;

    /// <summary>
    /// Whether a failed write may still have been applied: the request reached the service or may have, and no answer
    /// says it was refused (a timeout, a dropped connection, a server error after the client's retries).
    /// </summary>
    public static bool IsOutcomeUnknown(Exception ex) => ex switch
    {
        RequestFailedException failed => failed.Status is 0 or 408 or 429 or >= 500,
        OperationCanceledException => true,
        IOException or HttpRequestException or AggregateException => true,
        _ => false,
    };
}
