namespace Checkpointing;

/// <summary>What one LLM call consumed, when the provider reports it.</summary>
/// <param name="PromptTokens">Tokens in the prompt.</param>
/// <param name="CompletionTokens">Tokens in the completion.</param>
/// <param name="Cost">What the call cost, in <paramref name="Currency"/>, when known.</param>
/// <param name="Currency">The ISO 4217 currency of <paramref name="Cost"/>, for example <c>USD</c>.</param>
public sealed record LlmUsage(long PromptTokens, long CompletionTokens, decimal? Cost = null, string? Currency = null)
{
    /// <summary>Gets the tokens in prompt and completion together.</summary>
    public long TotalTokens => PromptTokens + CompletionTokens;
}
