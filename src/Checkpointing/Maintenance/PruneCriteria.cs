namespace Checkpointing;

/// <summary>
/// Which runs <see cref="CheckpointMaintenance.PruneAsync"/> deletes: those matching every criterion given, except the
/// <see cref="KeepLast"/> most recently updated of them. At least one criterion is required.
/// </summary>
public sealed record PruneCriteria
{
    /// <summary>Gets the statuses a run must have to be deleted, or <see langword="null"/> for any status.</summary>
    public IReadOnlySet<CheckpointStatus>? Statuses { get; init; }

    /// <summary>Gets how long ago a run must have last changed to be deleted, or <see langword="null"/> for any age.</summary>
    public TimeSpan? OlderThan { get; init; }

    /// <summary>Gets how many of the matching runs to keep, the most recently updated first, or <see langword="null"/> to keep none.</summary>
    public int? KeepLast { get; init; }

    /// <summary>Checks that the criteria select something on purpose.</summary>
    /// <exception cref="ArgumentException">No criterion is given, or one is negative or empty.</exception>
    internal void Validate()
    {
        if (Statuses is null && OlderThan is null && KeepLast is null)
        {
            throw new ArgumentException(
                "Pruning without a criterion would delete every run: give Statuses, OlderThan or KeepLast.", "criteria");
        }

        if (Statuses is { Count: 0 })
        {
            throw new ArgumentException("Statuses is empty, so no run would match: give at least one status, or null for any.", "criteria");
        }

        if (OlderThan < TimeSpan.Zero || KeepLast < 0)
        {
            throw new ArgumentException($"OlderThan ({OlderThan}) and KeepLast ({KeepLast}) must not be negative.", "criteria");
        }
    }
}
