using System.Collections.Immutable;
using System.Text.Json;

namespace Checkpointing;

/// <summary>One answer an LLM gave to a prompt: the thing a resumed pipeline must not pay for twice.</summary>
/// <param name="Prompt">The prompt exactly as sent; the cache key is the SHA-256 of its UTF-8 bytes.</param>
/// <param name="Response">The response text.</param>
public sealed record LlmResponse(string Prompt, string Response)
{
    /// <summary>Gets the model that answered, when known. Lookups that name a model only match responses of that model.</summary>
    public string? Model { get; init; }

    /// <summary>
    /// Gets fields that this library does not interpret (for example <c>tokens</c> or <c>cost_usd</c> written by
    /// the Python manager). They are kept and written back unchanged.
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement> AdditionalProperties { get; init; } =
        ImmutableDictionary<string, JsonElement>.Empty;
}
