using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Checkpointing.Pipeline;

/// <summary>
/// Decides whether <see cref="CheckpointManager.RunStageAsync{T}"/> may return a completed stage's stored result instead
/// of running it again: same fingerprint, intact artifacts, and no earlier stage whose fingerprint changed.
/// </summary>
internal sealed class StageReuse
{
    /// <summary>The stage metadata key of <see cref="StageOptions.Fingerprint"/>.</summary>
    public const string FingerprintKey = "fingerprint";

    private readonly string _cardId;
    private readonly ILogger _logger;

    /// <summary>Stages recorded after one whose fingerprint changed: they run again too. Guarded by locking the set itself.</summary>
    private readonly HashSet<string> _invalidatedStages = new(StringComparer.Ordinal);

    public StageReuse(string cardId, ILogger logger)
    {
        _cardId = cardId;
        _logger = logger;
    }

    /// <summary>A completed run's stored results are returned as they are; a changed fingerprint there is only logged.</summary>
    public bool IsKeptAsCompleted(PipelineCheckpoint checkpoint, StageCheckpoint stored, StageOptions options)
    {
        if (checkpoint.Status != CheckpointStatus.Completed)
        {
            return false;
        }

        if (options.Fingerprint is { } requested && StoredFingerprint(stored) is var storedFingerprint && storedFingerprint != requested)
        {
            Log.FingerprintIgnoredInCompletedRun(_logger, _cardId, stored.StageName, storedFingerprint, requested);
        }

        return true;
    }

    private static string? StoredFingerprint(StageCheckpoint stored) =>
        stored.Metadata.TryGetValue(FingerprintKey, out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;

    public async Task<bool> IsStillValidAsync(
        PipelineCheckpoint checkpoint, StageCheckpoint stored, StageOptions options, CancellationToken cancellationToken)
    {
        bool invalidated;
        lock (_invalidatedStages)
        {
            invalidated = _invalidatedStages.Contains(stored.StageName);
        }

        if (invalidated)
        {
            Log.StageRerun(_logger, _cardId, stored.StageName, "an earlier stage's fingerprint changed");
            return false;
        }

        var storedFingerprint = StoredFingerprint(stored);
        if (options.Fingerprint is not null && options.Fingerprint != storedFingerprint)
        {
            Log.StageRerun(_logger, _cardId, stored.StageName, $"its fingerprint changed from '{storedFingerprint}' to '{options.Fingerprint}'");
            lock (_invalidatedStages)
            {
                _invalidatedStages.UnionWith(checkpoint.StageCheckpoints.Keys.SkipWhile(name => name != stored.StageName).Skip(1));
            }

            return false;
        }

        if (options.ArtifactValidation == ArtifactValidation.Ignore)
        {
            return true;
        }

        foreach (var (path, digest) in ArtifactDigest.FromMetadata(stored))
        {
            if (await digest.CheckAsync(path, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                if (options.ArtifactValidation == ArtifactValidation.Throw)
                {
                    throw new CheckpointArtifactException(stored.StageName, path, problem);
                }

                Log.StageRerun(_logger, _cardId, stored.StageName, $"its artifact '{path}' {problem}");
                return false;
            }
        }

        return true;
    }
}
