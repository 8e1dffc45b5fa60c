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

    /// <summary>Gets the tokens and cost of the call, when known; totals appear in <see cref="CostReport"/>.</summary>
    public LlmUsage? Usage { get; init; }

    /// <summary>
    /// Gets why the model stopped (<c>stop</c>, <c>length</c>, <c>error</c>, ...), when known. A response that was
    /// truncated (<c>length</c>, <c>max_tokens</c>) or failed (<c>error</c>) is never cached by
    /// <see cref="CheckpointManager.GetOrAddLlmResponseAsync"/>.
    /// </summary>
    public string? FinishReason { get; init; }

    /// <summary>Gets the cache key of the <see cref="LlmRequest"/> that produced this response, when it came through one.</summary>
    public string? RequestKey { get; init; }

    /// <summary>Gets whether the response is complete and may be reused: not truncated and not failed.</summary>
    public bool IsReusable => FinishReason is not ("length" or "max_tokens" or "error" or "failed" or "truncated");

    /// <summary>
    /// Gets fields that this library does not interpret (for example <c>tokens</c> or <c>cost_usd</c> written by
    /// the Python manager). They are kept and written back unchanged.
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement> AdditionalProperties { get; init; } =
        ImmutableDictionary<string, JsonElement>.Empty;
}
