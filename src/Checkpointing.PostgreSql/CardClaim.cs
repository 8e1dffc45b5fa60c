using Checkpointing.Ownership;

namespace Checkpointing.PostgreSql;

/// <summary>
/// A lease on one card: this worker is its only writer while the lease is valid. Returned by
/// <see cref="PostgreSqlCheckpointRepository.ClaimNextResumableAsync"/> and by
/// <see cref="PostgreSqlCheckpointRepository.AcquireOwnershipAsync"/>. The repository renews it in the background every
/// third of its duration; disposing it gives the card up.
/// </summary>
/// <remarks>
/// Every write the repository makes for the card carries <see cref="FencingToken"/>; the database refuses it with
/// <see cref="CheckpointLeaseLostException"/> once another worker has taken the card, even if this worker froze for a
/// while and does not know yet. A <see cref="CheckpointManager"/> created on the same repository for the claimed card uses
/// this lease rather than taking a new one; the card is given up when both are disposed.
/// </remarks>
public sealed class CardClaim : CheckpointOwnership
{
    private readonly PostgreSqlCardLeases _leases;
    private readonly HeldLease _lease;
    private readonly bool _adopter;

    internal CardClaim(PostgreSqlCardLeases leases, HeldLease lease, bool adopter)
        : base(lease.CardId, lease.OwnerId)
    {
        _leases = leases;
        _lease = lease;
        _adopter = adopter;
    }

    /// <summary>Gets the worker recorded as the card's owner (the same as <see cref="CheckpointOwnership.OwnerId"/>).</summary>
    public string WorkerId => OwnerId;

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
    protected override ValueTask ReleaseAsync() => new(_leases.ReleaseHandleAsync(_lease, _adopter));

    /// <inheritdoc/>
    public override string ToString() => $"card '{CardId}' leased by '{WorkerId}' with fencing token {FencingToken}";
}
