using Checkpointing.LlmCache;
using Checkpointing.Manager;
using Checkpointing.Telemetry;

namespace Checkpointing;

// Opening a run: starting one, resuming one, or keeping a completed one, always as the card's owner.
// (The class is documented in CheckpointManager.cs.)
public sealed partial class CheckpointManager
{
    /// <summary>
    /// Starts a new run for the card, replacing a stored run and its cached answers (never one that cannot be read). To
    /// resume a stored run when there is one, call <see cref="ResumeOrCreateAsync"/> instead.
    /// </summary>
    /// <param name="totalStages">The number of stages the pipeline has.</param>
    /// <param name="executionContext">A description of the run, serialized to JSON (repository, branch, flags, ...).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new checkpoint.</returns>
    /// <exception cref="CheckpointLockedException">Another manager owns the card.</exception>
    /// <exception cref="CheckpointCorruptedException">A stored checkpoint cannot be read; it is left untouched.</exception>
    public Task<PipelineCheckpoint> CreateCheckpointAsync(
        int totalStages, IReadOnlyDictionary<string, object?>? executionContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalStages);
        return WithGateAsync(async () =>
        {
            await EnsureOwnershipAsync(cancellationToken).ConfigureAwait(false);
            var stored = await _repository.LoadAsync(CardId, cancellationToken).ConfigureAwait(false);
            return await CreateCoreAsync(totalStages, executionContext, stored, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>
    /// Tells whether the card has a stored run that can be resumed: active, paused, resumed or failed. A completed,
    /// missing or unreadable one cannot (an unreadable one is logged and left untouched). Needs no ownership.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when <see cref="ResumeAsync"/> would resume a run.</returns>
    public Task<bool> CanResumeAsync(CancellationToken cancellationToken = default) =>
        _checkpoint is { } owned
            ? Task.FromResult(CheckpointRestorer.IsResumable(owned))
            : _restorer.CanResumeAsync(CardId, cancellationToken);

    /// <summary>
    /// Resumes the stored run: takes ownership of the card, marks the run resumed, and rebuilds the LLM response cache
    /// from every stage record and write-ahead response.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The resumed checkpoint, or <see langword="null"/> when there is nothing to resume.</returns>
    /// <exception cref="CheckpointLockedException">Another manager owns the card.</exception>
    /// <exception cref="CheckpointCorruptedException">The stored checkpoint cannot be read; it is left untouched.</exception>
    public Task<PipelineCheckpoint?> ResumeAsync(CancellationToken cancellationToken = default) =>
        WithGateAsync(async () =>
        {
            var resumeStarted = _options.TimeProvider.GetTimestamp();
            await EnsureOwnershipAsync(cancellationToken).ConfigureAwait(false);
            var stored = _restorer.ResumableOrNull(CardId, await _repository.LoadAsync(CardId, cancellationToken).ConfigureAwait(false));
            return stored is null ? null : await ResumeCoreAsync(stored, resumeStarted, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>
    /// The usual opening of a pipeline, in one call: resumes the stored run if there is one to resume, returns a
    /// completed run as it is (see <see cref="CheckpointManagerOptions.CompletedRuns"/>), else starts a new run. The card
    /// is owned from the first step, so no other manager can slip in between.
    /// </summary>
    /// <remarks>
    /// A completed run is kept by default: <see cref="RunStageAsync{T}"/> returns each stored result without running,
    /// no LLM call is made, <see cref="MarkCompletedAsync"/> does nothing, and other writes are refused with
    /// <see cref="InvalidOperationException"/>. Start over with <see cref="CreateCheckpointAsync"/>, or set
    /// <see cref="CheckpointManagerOptions.CompletedRuns"/> to <see cref="CompletedRunPolicy.Restart"/>. The log says which
    /// happened.
    /// </remarks>
    /// <param name="totalStages">The number of stages the pipeline has, for a new run.</param>
    /// <param name="executionContext">A description of a new run, serialized to JSON (repository, branch, flags, ...).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The resumed, completed or new checkpoint; the one this manager already has when called again.</returns>
    /// <exception cref="CheckpointLockedException">Another manager owns the card.</exception>
    /// <exception cref="CheckpointCorruptedException">The stored checkpoint cannot be read; it is left untouched.</exception>
    public Task<PipelineCheckpoint> ResumeOrCreateAsync(
        int totalStages, IReadOnlyDictionary<string, object?>? executionContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalStages);
        return WithGateAsync(async () =>
        {
            if (_checkpoint is { } open)
            {
                return open;   // this manager has already opened the run: opening it again changes nothing
            }

            var resumeStarted = _options.TimeProvider.GetTimestamp();
            await EnsureOwnershipAsync(cancellationToken).ConfigureAwait(false);
            var stored = await _repository.LoadAsync(CardId, cancellationToken).ConfigureAwait(false);
            if (CheckpointRestorer.IsResumable(stored))
            {
                return await ResumeCoreAsync(stored!, resumeStarted, cancellationToken).ConfigureAwait(false);
            }

            if (stored is { Status: CheckpointStatus.Completed })
            {
                if (_options.CompletedRuns == CompletedRunPolicy.Keep)
                {
                    _checkpoint = stored;
                    _cache.Rebuild(stored);
                    Log.CompletedRunKept(_logger, CardId, stored.Version, stored.StagesCompleted);
                    return stored;
                }

                Log.CompletedRunRestarted(_logger, CardId, stored.Version);
            }

            return await CreateCoreAsync(totalStages, executionContext, stored, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    private async Task<PipelineCheckpoint> CreateCoreAsync(
        int totalStages, IReadOnlyDictionary<string, object?>? executionContext, PipelineCheckpoint? stored, CancellationToken cancellationToken)
    {
        var checkpoint = _creator.CreateCheckpoint(CardId, totalStages, executionContext, (stored?.Version ?? 0) + 1);
        var writeStarted = _options.TimeProvider.GetTimestamp();
        await _repository.SaveAsync(checkpoint, cancellationToken).ConfigureAwait(false);
        StoreWriteTelemetry.Record(_options.TimeProvider, writeStarted, null);
        _checkpoint = checkpoint;
        _cache.Rebuild(null);
        Log.CheckpointCreated(_logger, checkpoint.CheckpointId, CardId, totalStages, checkpoint.Version);
        return checkpoint;
    }

    private async Task<PipelineCheckpoint> ResumeCoreAsync(PipelineCheckpoint stored, long resumeStarted, CancellationToken cancellationToken)
    {
        _checkpoint = stored;
        await PersistAsync(new CheckpointResumed(stored.Version + 1, _creator.Now), cancellationToken).ConfigureAwait(false);
        var resumed = _checkpoint!;
        _cache.Rebuild(resumed);
        Instruments.ResumeDuration.Record(_options.TimeProvider.GetElapsedTime(resumeStarted).TotalSeconds);
        Log.Resumed(_logger, CardId, resumed.ResumeCount, resumed.StagesCompleted, LlmResponseCache.CountStored(resumed));
        return resumed;
    }
}
