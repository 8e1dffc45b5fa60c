namespace Checkpointing;

/// <summary>
/// Copies runs between any two stores (files to SQLite, SQLite to PostgreSQL, ...), version and content preserved: the
/// copy loads in the target exactly as the original loads in the source.
/// </summary>
/// <example>
/// <code>
/// await CheckpointCopy.CopyAsync(new FileSystemCheckpointRepository(".checkpoints"), postgres, "CARD-123");
/// </code>
/// </example>
public static class CheckpointCopy
{
    /// <summary>
    /// Copies one card's run (snapshot and every recorded change, merged) from <paramref name="source"/> to
    /// <paramref name="target"/>. The source is only read; the target card is owned for the duration of the write, which
    /// stores the whole run at once, so a crash leaves the target's old state or the copy.
    /// </summary>
    /// <param name="source">The store to read from; no ownership is taken there.</param>
    /// <param name="target">The store to write to.</param>
    /// <param name="cardId">The card.</param>
    /// <param name="overwrite">Whether to replace a run the target already has; by default that is refused.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The run that was copied.</returns>
    /// <exception cref="CheckpointNotFoundException">The source has no run for the card; nothing was written.</exception>
    /// <exception cref="CheckpointConflictException">The target has a run for the card and <paramref name="overwrite"/> is false; nothing was written.</exception>
    /// <exception cref="CheckpointLockedException">Another owner holds the card in the target; nothing was written.</exception>
    /// <exception cref="NotSupportedException">The target does not implement <see cref="ICheckpointRepository.ImportAsync"/>.</exception>
    public static async Task<PipelineCheckpoint> CopyAsync(
        ICheckpointRepository source, ICheckpointRepository target, string cardId, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        CardIds.Validate(cardId);
        var checkpoint = await source.LoadAsync(cardId, cancellationToken).ConfigureAwait(false)
            ?? throw new CheckpointNotFoundException(cardId, "the source store");
        var ownership = await target.AcquireOwnershipAsync(cardId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        await using (ownership.ConfigureAwait(false))
        {
            var existing = await target.LoadAsync(cardId, cancellationToken).ConfigureAwait(false);
            if (existing is not null && !overwrite)
            {
                throw new CheckpointConflictException(cardId, existing.Version, checkpoint.Version, expectedStoredVersion: null);
            }

            await target.ImportAsync(checkpoint, existing?.Version, cancellationToken).ConfigureAwait(false);
        }

        return checkpoint;
    }
}
