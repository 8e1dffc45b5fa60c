namespace Checkpointing;

/// <summary>
/// Retention for a store: deletes old or finished runs by status, age and count, with a dry run, never touching a card
/// that a running pipeline owns.
/// </summary>
/// <example>
/// <code>
/// var maintenance = new CheckpointMaintenance(repository);
/// var report = await maintenance.PruneAsync(new PruneCriteria
/// {
///     Statuses = new HashSet&lt;CheckpointStatus&gt; { CheckpointStatus.Completed },
///     OlderThan = TimeSpan.FromDays(30),
/// });
/// </code>
/// </example>
public sealed class CheckpointMaintenance
{
    private readonly ICheckpointRepository _repository;
    private readonly TimeProvider _timeProvider;

    /// <summary>Initializes a new instance of the <see cref="CheckpointMaintenance"/> class.</summary>
    /// <param name="repository">The store to maintain.</param>
    /// <param name="timeProvider">The clock that ages are measured against; by default the system clock.</param>
    public CheckpointMaintenance(ICheckpointRepository repository, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        _repository = repository;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Deletes the runs that match <paramref name="criteria"/>. Each is deleted as its owner: a card another process owns
    /// is skipped (the report names the owner), and so is one that changed since it was selected or cannot be read.
    /// </summary>
    /// <param name="criteria">Which runs to delete.</param>
    /// <param name="dryRun">Whether to only report what would be deleted; a dry run takes no ownership and changes nothing.</param>
    /// <param name="cancellationToken">Cancels the operation; runs already deleted stay deleted.</param>
    /// <returns>What was (or would be) deleted and what was skipped.</returns>
    /// <exception cref="ArgumentException">The criteria select nothing on purpose (none given, negative, empty).</exception>
    public async Task<PruneReport> PruneAsync(PruneCriteria criteria, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        criteria.Validate();
        var skipped = new List<SkippedRun>();
        var candidates = new List<PipelineCheckpoint>();
        var cutoff = criteria.OlderThan is { } age ? _timeProvider.GetUtcNow() - age : (DateTimeOffset?)null;
        foreach (var cardId in await _repository.ListCardIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            PipelineCheckpoint? checkpoint;
            try
            {
                checkpoint = await _repository.LoadAsync(cardId, cancellationToken).ConfigureAwait(false);
            }
            catch (CheckpointException ex)
            {
                skipped.Add(new SkippedRun(cardId, $"cannot be read: {ex.Message}"));
                continue;
            }

            if (checkpoint is not null
                && (criteria.Statuses is null || criteria.Statuses.Contains(checkpoint.Status))
                && (cutoff is null || checkpoint.UpdatedAt < cutoff))
            {
                candidates.Add(checkpoint);
            }
        }

        var selected = candidates
            .OrderByDescending(c => c.UpdatedAt).ThenBy(c => c.CardId, StringComparer.Ordinal)
            .Skip(criteria.KeepLast ?? 0)
            .ToList();
        var deleted = new List<PrunedRun>();
        foreach (var checkpoint in selected)
        {
            if (dryRun)
            {
                deleted.Add(new PrunedRun(checkpoint.CardId, checkpoint.Status, checkpoint.UpdatedAt));
            }
            else if (await DeleteAsOwnerAsync(checkpoint, cancellationToken).ConfigureAwait(false) is { } reason)
            {
                skipped.Add(new SkippedRun(checkpoint.CardId, reason));
            }
            else
            {
                deleted.Add(new PrunedRun(checkpoint.CardId, checkpoint.Status, checkpoint.UpdatedAt));
            }
        }

        return new PruneReport(dryRun, deleted, skipped);
    }

    /// <summary>Deletes a run as its owner, if it is still the version that was selected.</summary>
    /// <returns><see langword="null"/> when deleted, else why not.</returns>
    private async Task<string?> DeleteAsOwnerAsync(PipelineCheckpoint selected, CancellationToken cancellationToken)
    {
        IAsyncDisposable ownership;
        try
        {
            ownership = await _repository.AcquireOwnershipAsync(selected.CardId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
        catch (CheckpointLockedException ex)
        {
            return $"owned: {ex.Message}";
        }

        await using (ownership.ConfigureAwait(false))
        {
            var current = await _repository.LoadAsync(selected.CardId, cancellationToken).ConfigureAwait(false);
            if (current?.Version != selected.Version)
            {
                return $"changed while pruning (version {selected.Version} became {current?.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "deleted"})";
            }

            await _repository.DeleteAsync(selected.CardId, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }
}
