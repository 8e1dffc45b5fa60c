namespace Checkpointing.Ownership;

/// <summary>
/// A lease a store holds on one card: who holds it, until when, the fencing token its writes carry (0 where the store has
/// none), and its state. One model for every store that leases cards (SQLite, PostgreSQL): the store says how to take,
/// renew and release the lease in its database; this type keeps the state, the handles that share it and its renewal.
/// </summary>
/// <remarks>
/// States: <c>Pending</c> (being claimed; not yet the card's owner), <c>Active</c>, <c>Lost</c> (another owner took the
/// card: writes are refused, the handle is still held), <c>Released</c>. Every field is guarded here, by this type.
/// </remarks>
internal sealed class HeldLease
{
    private const int Pending = 0;
    private const int Active = 1;
    private const int Lost = 2;
    private const int Released = 3;

    private readonly object _handlesGate = new();
    private int _state;
    private int _lost;
    private long _expiresAtTicks;
    private int _handles;
    private bool _adopted;

    /// <summary>Initializes a new instance of the <see cref="HeldLease"/> class.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="ownerId">The owner recorded in the store.</param>
    /// <param name="token">The fencing token, 0 where the store has none.</param>
    /// <param name="duration">How long the lease lasts without renewal.</param>
    /// <param name="expiresAt">When it expires unless renewed.</param>
    /// <param name="adoptable">Whether one later <see cref="TryAdopt"/> may share it (a claimed card that a manager then opens).</param>
    /// <param name="active">Whether the store holds it already (else it is pending until <see cref="Activate"/>).</param>
    public HeldLease(string cardId, string ownerId, long token, TimeSpan duration, DateTimeOffset expiresAt, bool adoptable, bool active)
    {
        CardId = cardId;
        OwnerId = ownerId;
        Token = token;
        Duration = duration;
        Adoptable = adoptable;
        ExpiresAt = expiresAt;
        _handles = 1;
        _state = active ? Active : Pending;
    }

    public string CardId { get; }

    public string OwnerId { get; }

    public long Token { get; }

    public TimeSpan Duration { get; }

    /// <summary>Gets a value indicating whether one handle may adopt this lease (see <see cref="TryAdopt"/>).</summary>
    public bool Adoptable { get; }

    /// <summary>Gets or sets when the lease expires unless renewed, as of the last renewal.</summary>
    public DateTimeOffset ExpiresAt
    {
        get => new(Interlocked.Read(ref _expiresAtTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _expiresAtTicks, value.UtcTicks);
    }

    /// <summary>Gets a value indicating whether the lease is the card's, as far as this process knows.</summary>
    public bool IsActive => Volatile.Read(ref _state) == Active;

    /// <summary>Gets a value indicating whether another owner took the card (it stays so after release).</summary>
    public bool IsLost => Volatile.Read(ref _lost) != 0;

    /// <summary>Gets a value indicating whether a handle still holds the lease: its writes are fenced by it (active or lost).</summary>
    public bool IsHeld => Volatile.Read(ref _state) is Active or Lost;

    /// <summary>Gets a value indicating whether the lease was released.</summary>
    public bool IsReleased => Volatile.Read(ref _state) == Released;

    /// <summary>Gets or sets a value indicating whether renewal skips its turns, freezing the lease (a test hook).</summary>
    public bool RenewalSuspended { get; set; }

    /// <summary>Gets the renewal, once started.</summary>
    public LeaseRenewal? Renewal { get; private set; }

    /// <summary>Makes a pending lease active: the store now records it as the card's.</summary>
    public void Activate() => Interlocked.CompareExchange(ref _state, Active, Pending);

    /// <summary>Marks the lease lost.</summary>
    /// <returns><see langword="true"/> the first time (the caller logs it).</returns>
    public bool MarkLost()
    {
        Interlocked.CompareExchange(ref _state, Lost, Active);
        return Interlocked.Exchange(ref _lost, 1) == 0;
    }

    /// <summary>Marks the lease released for good, whatever handles remain.</summary>
    /// <returns><see langword="true"/> the first time (the caller releases it in the store).</returns>
    public bool TryRelease() => Interlocked.Exchange(ref _state, Released) != Released;

    /// <summary>Starts renewing the lease every third of its duration.</summary>
    /// <param name="renewal">The renewal to run.</param>
    public void StartRenewal(LeaseRenewal renewal)
    {
        Renewal = renewal;
        renewal.Start();
    }

    /// <summary>Adds a second handle to an adoptable lease (once).</summary>
    /// <returns><see langword="true"/> when adopted; <see langword="false"/> when it is not adoptable, adopted already, or released.</returns>
    public bool TryAdopt()
    {
        lock (_handlesGate)
        {
            if (!Adoptable || _adopted || IsReleased)
            {
                return false;
            }

            _adopted = true;
            _handles++;
            return true;
        }
    }

    /// <summary>Drops one handle.</summary>
    /// <param name="adopter">Whether the handle is the one that adopted the lease (another may adopt it again).</param>
    /// <returns><see langword="true"/> when it was the last: the caller releases the lease.</returns>
    public bool DropHandle(bool adopter)
    {
        lock (_handlesGate)
        {
            if (adopter)
            {
                _adopted = false;
            }

            return --_handles == 0 && TryRelease();
        }
    }
}
