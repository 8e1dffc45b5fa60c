namespace Checkpointing.PostgreSql;

/// <summary>
/// A lease on one card: this worker is its only writer while the lease is valid. Returned by
/// <see cref="PostgreSqlCheckpointRepository.ClaimNextResumableAsync"/> and (as <see cref="IAsyncDisposable"/>) by
/// <see cref="PostgreSqlCheckpointRepository.AcquireOwnershipAsync"/>. The repository renews it in the background every
/// third of its duration; disposing it gives the card up.
/// </summary>
/// <remarks>
/// Every write the repository makes for the card carries <see cref="FencingToken"/>; the database refuses it with
/// <see cref="CheckpointLeaseLostException"/> once another worker has taken the card, even if this worker froze for a
/// while and does not know yet. A <see cref="CheckpointManager"/> created on the same repository for the claimed card uses
/// this lease rather than taking a new one; the card is given up when both are disposed.
/// </remarks>
public sealed class CardClaim : IAsyncDisposable
{
    private readonly CardLease _lease;
    private readonly bool _adopter;
    private int _disposed;

    internal CardClaim(CardLease lease, bool adopter)
    {
        _lease = lease;
        _adopter = adopter;
    }

    /// <summary>Gets the card.</summary>
    public string CardId => _lease.CardId;

    /// <summary>Gets the worker recorded as the card's owner.</summary>
    public string WorkerId => _lease.WorkerId;

    /// <summary>Gets the fencing token: the card's ownership epoch, higher than that of every earlier lease on the card.</summary>
    public long FencingToken => _lease.Token;

    /// <summary>Gets how long the lease lasts without renewal.</summary>
    public TimeSpan LeaseDuration => _lease.Duration;

    /// <summary>Gets when the lease expires unless renewed, on the database clock, as of the last renewal.</summary>
    public DateTimeOffset LeaseExpiresAt => _lease.ExpiresAt;

    /// <summary>Gets a value indicating whether the repository found that another worker took the card (or a write without ownership went in).</summary>
    public bool IsLost => _lease.IsLost;

    /// <summary>Gives the card up (when no manager on this repository still uses the lease) and stops renewing it.</summary>
    /// <returns>A task that completes when the lease is released in the database, or given up on after an error (it then expires).</returns>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? new ValueTask(_lease.Repository.ReleaseHandleAsync(_lease, _adopter)) : ValueTask.CompletedTask;

    /// <inheritdoc/>
    public override string ToString() => $"card '{CardId}' leased by '{WorkerId}' with fencing token {FencingToken}";
}
