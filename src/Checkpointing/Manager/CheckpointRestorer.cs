using Microsoft.Extensions.Logging;

namespace Checkpointing.Manager;

/// <summary>Decides whether a stored run can be resumed, and loads it for resuming.</summary>
internal sealed class CheckpointRestorer
{
    private readonly ICheckpointRepository _repository;
    private readonly ILogger _logger;

    public CheckpointRestorer(ICheckpointRepository repository, ILogger logger)
    {
        _repository = repository;
        _logger = logger;
    }

    /// <summary>Tells whether a stored run can be resumed (see <see cref="CheckpointStatusExtensions.IsResumable"/>).</summary>
    public static bool IsResumable(PipelineCheckpoint? checkpoint) => checkpoint is not null && checkpoint.Status.IsResumable();

    /// <summary>Tells whether the stored run can be resumed; a stored run that cannot be read cannot, and is logged.</summary>
    public async Task<bool> CanResumeAsync(string cardId, CancellationToken cancellationToken)
    {
        PipelineCheckpoint? stored;
        try
        {
            stored = await _repository.LoadAsync(cardId, cancellationToken).ConfigureAwait(false);
        }
        catch (CheckpointException ex)
        {
            Log.UnreadableCheckpoint(_logger, cardId, ex);
            return false;
        }

        return ResumableOrNull(cardId, stored) is not null;
    }

    /// <summary>
    /// Returns <paramref name="stored"/> if it can be resumed, else logs why not and returns <see langword="null"/>.
    /// Synchronous: the caller's own await loads it, so a resume suspends one state machine fewer.
    /// </summary>
    public PipelineCheckpoint? ResumableOrNull(string cardId, PipelineCheckpoint? stored)
    {
        if (IsResumable(stored))
        {
            return stored;
        }

        Log.NotResumable(_logger, cardId, stored is null ? "none is stored" : $"its status is {stored.Status}");
        return null;
    }
}
