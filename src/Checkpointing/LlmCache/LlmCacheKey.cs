using Checkpointing.LlmCache;

namespace Checkpointing;

/// <summary>The cache key of an LLM response: card, stage, the full SHA-256 of the prompt, and the model when given.</summary>
public static class LlmCacheKey
{
    /// <summary>Builds the key <c>&lt;card&gt;:&lt;stage&gt;:&lt;sha256 of prompt, 64 hex&gt;[:&lt;model&gt;]</c>.</summary>
    /// <param name="cardId">The card.</param>
    /// <param name="stageName">The stage.</param>
    /// <param name="prompt">The prompt exactly as sent.</param>
    /// <param name="model">The model, or <see langword="null"/> for a key that ignores the model.</param>
    /// <returns>The key.</returns>
    /// <remarks>
    /// The Python manager used only the first 16 hex characters of the hash, which collide in practice at scale;
    /// this library always uses all 64.
    /// </remarks>
    public static string Create(string cardId, string stageName, string prompt, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(cardId);
        ArgumentNullException.ThrowIfNull(stageName);
        ArgumentNullException.ThrowIfNull(prompt);
        var key = $"{cardId}:{stageName}:{PromptHash.Of(prompt)}";
        return model is null ? key : $"{key}:{model}";
    }
}
