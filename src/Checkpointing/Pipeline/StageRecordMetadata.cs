using System.Text.Json;
using Checkpointing.Json;

namespace Checkpointing.Pipeline;

/// <summary>
/// The bookkeeping <see cref="CheckpointManager.RunStageAsync{T}"/> keeps in a stage's metadata: fingerprint, artifact
/// digests and what the cache saved.
/// </summary>
internal static class StageRecordMetadata
{
    /// <summary>Digests every artifact the stage registered; each must exist when the stage ends.</summary>
    public static async Task<Dictionary<string, ArtifactDigest>> DigestArtifactsAsync(StageContext context, CancellationToken cancellationToken)
    {
        var digests = new Dictionary<string, ArtifactDigest>(StringComparer.Ordinal);
        foreach (var artifact in context.Artifacts)
        {
            if (!File.Exists(artifact))
            {
                throw new CheckpointArtifactException(context.StageName, artifact, "was registered but does not exist when the stage ends: write the file before the stage's work returns, or do not register it");
            }

            digests[artifact] = await ArtifactDigest.ComputeAsync(artifact, cancellationToken).ConfigureAwait(false);
        }

        return digests;
    }

    /// <summary>The metadata of a stage record: its fingerprint, artifact digests and what the cache saved.</summary>
    public static Dictionary<string, JsonElement> For(
        StageOptions options, StageContext context, IReadOnlyDictionary<string, ArtifactDigest>? digests)
    {
        var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (options.Fingerprint is not null)
        {
            metadata[StageReuse.FingerprintKey] = LibraryJsonContext.StringValue(options.Fingerprint);
        }

        if (digests is { Count: > 0 })
        {
            metadata[ArtifactDigest.MetadataKey] = ArtifactDigest.ToJson(digests);
        }

        if (context.SavedByCache.Calls > 0)
        {
            metadata[SavedByCache.MetadataKey] = JsonSerializer.SerializeToElement(context.SavedByCache, LibraryJsonContext.Default.LlmUsageTotals);
        }

        return metadata;
    }
}
