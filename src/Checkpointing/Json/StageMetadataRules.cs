using System.Text.Json;
using Checkpointing.Manager;
using Checkpointing.Pipeline;

namespace Checkpointing.Json;

/// <summary>
/// Checks, at load, the stage metadata the library reads back itself (<c>fingerprint</c>, <c>error_type</c>,
/// <c>artifact_digests</c>, <c>saved_by_cache</c>), so that a damaged value is reported by the load instead of failing
/// later in <see cref="CheckpointManager.RunStageAsync{T}"/> or <see cref="CheckpointManager.GetCostReport"/>. Other keys
/// are free-form.
/// </summary>
internal static class StageMetadataRules
{
    /// <summary>Refuses a library-owned metadata value of the wrong shape.</summary>
    public static void Validate(IReadOnlyDictionary<string, JsonElement> metadata, string field, in JsonReadContext context)
    {
        if (metadata.Count == 0)
        {
            return;
        }

        foreach (var key in (ReadOnlySpan<string>)[StageReuse.FingerprintKey, CheckpointCreator.ErrorTypeKey])
        {
            if (metadata.TryGetValue(key, out var text) && text.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                throw context.WrongType($"{field}.{key}", "a string", text);
            }
        }

        if (metadata.TryGetValue(ArtifactDigest.MetadataKey, out var digests) && digests.ValueKind != JsonValueKind.Null)
        {
            JsonFields.RequireKind(digests, JsonValueKind.Object, $"{field}.{ArtifactDigest.MetadataKey}", "an object", context);
            foreach (var entry in digests.EnumerateObject())
            {
                if (ArtifactDigest.TryRead(entry.Value) is null)
                {
                    throw context.Corrupt(
                        $"{field}.{ArtifactDigest.MetadataKey}.{entry.Name}", "expected {\"size\": a byte count, \"sha256\": 64 lower-case hex digits}");
                }
            }
        }

        if (metadata.TryGetValue(SavedByCache.MetadataKey, out var saved) && SavedByCache.TryRead(saved) is null)
        {
            throw context.Corrupt(
                $"{field}.{SavedByCache.MetadataKey}", "expected the usage totals this library writes (calls, prompt_tokens, completion_tokens, cost_by_currency)");
        }
    }
}
