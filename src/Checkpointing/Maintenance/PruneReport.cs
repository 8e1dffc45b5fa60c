namespace Checkpointing;

/// <summary>What <see cref="CheckpointMaintenance.PruneAsync"/> deleted (or, on a dry run, would delete) and what it left alone.</summary>
/// <param name="DryRun">Whether nothing was deleted because the caller asked for a dry run.</param>
/// <param name="Deleted">The runs deleted, or that a dry run would delete, the most recently updated first.</param>
/// <param name="Skipped">Runs that matched but were left alone, with the reason (owned by a running pipeline, changed meanwhile, unreadable).</param>
public sealed record PruneReport(bool DryRun, IReadOnlyList<PrunedRun> Deleted, IReadOnlyList<SkippedRun> Skipped);

/// <summary>A run that was pruned (or would be, on a dry run).</summary>
/// <param name="CardId">The card.</param>
/// <param name="Status">Its status.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record PrunedRun(string CardId, CheckpointStatus Status, DateTimeOffset UpdatedAt);

/// <summary>A card that pruning left alone.</summary>
/// <param name="CardId">The card.</param>
/// <param name="Reason">Why, in words (for an owned card, naming the owner).</param>
public sealed record SkippedRun(string CardId, string Reason);
