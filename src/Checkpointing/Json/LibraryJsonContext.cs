using System.Text.Json;
using System.Text.Json.Serialization;

namespace Checkpointing.Json;

/// <summary>
/// Source-generated JSON metadata for the values the library itself stores in metadata (failure reasons, fingerprints,
/// exception types, LLM usage), so that nothing it writes needs reflection and it works under Native AOT and trimming.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(LlmUsageTotals))]
internal sealed partial class LibraryJsonContext : JsonSerializerContext
{
    /// <summary>Gets the JSON <c>null</c> value.</summary>
    public static JsonElement Null { get; } = JsonDocument.Parse("null").RootElement.Clone();

    /// <summary>Gets a JSON string.</summary>
    public static JsonElement StringValue(string? value) => value is null ? Null : JsonSerializer.SerializeToElement(value, Default.String);
}
