using System.Text.Json;
using Checkpointing.Json;

namespace Checkpointing.Pipeline;

/// <summary>Reads a stage's <c>metadata.saved_by_cache</c>: the usage of the calls its cache hits saved.</summary>
internal static class SavedByCache
{
    /// <summary>The stage metadata key.</summary>
    public const string MetadataKey = "saved_by_cache";

    /// <summary>Reads stored totals, or <see langword="null"/> when the value is not totals this library wrote.</summary>
    public static LlmUsageTotals? TryRead(JsonElement json)
    {
        LlmUsageTotals? totals;
        try
        {
            totals = json.Deserialize(LibraryJsonContext.Default.LlmUsageTotals);
        }
        catch (JsonException)
        {
            return null;
        }

        return totals is { Calls: >= 0, PromptTokens: >= 0, CompletionTokens: >= 0, CostByCurrency: { } costs } && costs.Values.All(cost => cost >= 0)
            ? totals
            : null;
    }
}
