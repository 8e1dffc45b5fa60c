using Checkpointing.Maintenance;

namespace Checkpointing;

// Rewinding a run to a stage, so that it and the stages after it run again.
// (The class is documented in CheckpointManager.cs.)
public sealed partial class CheckpointManager
{
    /// <summary>
    /// Makes <paramref name="fromStage"/> and every stage first recorded after it run again on the next resume: their
    /// records are removed, while their LLM answers stay cached (as write-ahead responses) unless
    /// <see cref="RewindOptions.DropLlmResponses"/> is set. A completed run becomes paused, so it can be resumed. The
    /// rewind is stored as one durable write: a crash leaves the run as it was or rewound, never half-changed.
    /// </summary>
    /// <remarks>
    /// Works on the run this manager has open, or else on the stored run, taking ownership of the card (a dry run takes
    /// none). Typical use from an operator's tool or a pipeline that must redo a stage: open a manager on the card,
    /// rewind, dispose it; the next <see cref="ResumeOrCreateAsync"/> starts at <paramref name="fromStage"/>.
    /// </remarks>
    /// <param name="fromStage">The first stage to run again; it must have a record.</param>
    /// <param name="options">What to keep and whether to write; by default the answers are kept and the rewind is stored.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stages rewound, the responses kept or dropped, and the run after the rewind.</returns>
    /// <exception cref="ArgumentException">The run has no record of <paramref name="fromStage"/>; nothing was changed.</exception>
    /// <exception cref="CheckpointNotFoundException">The card has no stored run.</exception>
    /// <exception cref="CheckpointLockedException">Another manager owns the card.</exception>
    public Task<RewindResult> RewindAsync(string fromStage, RewindOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fromStage);
        options ??= new RewindOptions();
        return WithGateAsync(async () =>
        {
            if (options.DryRun)
            {
                var seen = _checkpoint ?? await LoadStoredAsync(cancellationToken).ConfigureAwait(false);
                return StageRewind.Apply(seen, fromStage, options.DropLlmResponses, _creator.Now);
            }

            await EnsureOwnershipAsync(cancellationToken).ConfigureAwait(false);
            var current = _checkpoint ?? await LoadStoredAsync(cancellationToken).ConfigureAwait(false);
            var result = StageRewind.Apply(current, fromStage, options.DropLlmResponses, _creator.Now);
            await _repository.SaveAsync(result.Checkpoint, cancellationToken).ConfigureAwait(false);
            _checkpoint = result.Checkpoint;
            _cache.Rebuild(result.Checkpoint);
            Log.Rewound(_logger, CardId, fromStage, result.Stages.Count, result.LlmResponsesKept, result.LlmResponsesDropped, result.Checkpoint.Version);
            return result with { Applied = true };
        }, cancellationToken);
    }

    private async Task<PipelineCheckpoint> LoadStoredAsync(CancellationToken cancellationToken) =>
        await _repository.LoadAsync(CardId, cancellationToken).ConfigureAwait(false)
            ?? throw new CheckpointNotFoundException(CardId, "the store");
}
