namespace Checkpointing.Ownership;

/// <summary>The leases one repository holds, by card: at most one per card. Thread-safe.</summary>
internal sealed class HeldLeases
{
    private readonly Dictionary<string, HeldLease> _byCard = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private bool _closed;

    /// <summary>Gets a value indicating whether <see cref="Close"/> was called.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>Gets the cards with a lease.</summary>
    /// <returns>A copy of their ids.</returns>
    public string[] CardIds()
    {
        lock (_gate)
        {
            return [.. _byCard.Keys];
        }
    }

    /// <summary>Gets the lease on a card, if this repository holds one (pending, active or lost).</summary>
    /// <param name="cardId">The card.</param>
    /// <returns>The lease, or <see langword="null"/>.</returns>
    public HeldLease? Find(string cardId)
    {
        lock (_gate)
        {
            return _byCard.GetValueOrDefault(cardId);
        }
    }

    /// <summary>Adds a lease unless the card has one here already or the repository is closed.</summary>
    /// <param name="lease">The lease.</param>
    /// <returns><see langword="true"/> when added.</returns>
    public bool TryAdd(HeldLease lease)
    {
        lock (_gate)
        {
            return !_closed && _byCard.TryAdd(lease.CardId, lease);
        }
    }

    /// <summary>Removes a lease, if it is still the one held for its card.</summary>
    /// <param name="lease">The lease.</param>
    public void Remove(HeldLease lease)
    {
        lock (_gate)
        {
            if (_byCard.TryGetValue(lease.CardId, out var current) && ReferenceEquals(current, lease))
            {
                _byCard.Remove(lease.CardId);
            }
        }
    }

    /// <summary>Closes the set (no lease is added after) and hands over every lease, each marked released once.</summary>
    /// <returns>The leases to release in the store.</returns>
    public List<HeldLease> Close()
    {
        lock (_gate)
        {
            _closed = true;
            var leases = _byCard.Values.Where(lease => lease.TryRelease()).ToList();
            _byCard.Clear();
            return leases;
        }
    }
}
