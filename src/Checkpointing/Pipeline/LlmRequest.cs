using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Checkpointing.LlmCache;

namespace Checkpointing;

/// <summary>
/// Everything that changes an LLM's answer: the prompt (or chat messages), the model and the sampling and tool
/// parameters. Two requests with the same <see cref="CacheKey"/> may reuse each other's response.
/// </summary>
/// <remarks>
/// The cache key is the SHA-256 of a canonical JSON serialization (see <see cref="GetCanonicalJson"/>): property
/// order, whitespace and number spelling (<c>1</c>, <c>1.0</c>, <c>1e0</c>) in <see cref="Tools"/>,
/// <see cref="ToolChoice"/>, <see cref="ResponseFormat"/> and <see cref="Extras"/> cannot change it. The format is
/// versioned (<c>"v":1</c>) and pinned by tests, so keys stay stable across releases.
/// </remarks>
public sealed record LlmRequest
{
    /// <summary>
    /// Keys already computed, per instance. Not a field: a field would be copied by <c>with</c> (giving the copy the key
    /// of the original) and compared by the record's equality. An instance never changes once built, so its key cannot
    /// go stale; a copy is another instance and computes its own.
    /// </summary>
    private static readonly ConditionalWeakTable<LlmRequest, string> ComputedKeys = new();

    /// <summary>Gets the prompt, for completion-style calls. Exactly one of <see cref="Prompt"/> and <see cref="Messages"/> is set.</summary>
    public string? Prompt { get; init; }

    /// <summary>Gets the chat messages, for chat-style calls.</summary>
    public IReadOnlyList<LlmMessage>? Messages { get; init; }

    /// <summary>Gets the model asked.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the sampling temperature.</summary>
    public double? Temperature { get; init; }

    /// <summary>Gets the nucleus-sampling probability mass.</summary>
    public double? TopP { get; init; }

    /// <summary>Gets the most tokens the answer may have.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Gets the sequences that end the answer.</summary>
    public IReadOnlyList<string>? StopSequences { get; init; }

    /// <summary>Gets the tool definitions offered to the model, as JSON.</summary>
    public JsonElement? Tools { get; init; }

    /// <summary>Gets how the model may choose tools, as JSON (<c>"auto"</c>, an object, ...).</summary>
    public JsonElement? ToolChoice { get; init; }

    /// <summary>Gets the requested response format, as JSON (for example a JSON schema).</summary>
    public JsonElement? ResponseFormat { get; init; }

    /// <summary>Gets the sampling seed.</summary>
    public long? Seed { get; init; }

    /// <summary>Gets any other parameter that changes the answer (provider-specific), as JSON values.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Extras { get; init; }

    /// <summary>Gets the cache key: 64 lower-case hex characters of SHA-256 over <see cref="GetCanonicalJson"/>.</summary>
    /// <exception cref="InvalidOperationException">Neither or both of <see cref="Prompt"/> and <see cref="Messages"/> are set.</exception>
    /// <remarks>
    /// <see cref="CheckpointManager.GetOrAddLlmResponseAsync"/> finds answers in a stage by this key, and stores it with
    /// each answer as <see cref="LlmResponse.RequestKey"/>. <see cref="CheckpointManager.GetCachedLlmResponse"/> is the
    /// other lookup: by the SHA-256 of the prompt text alone (and the model when given), which every stored answer has.
    /// </remarks>
    public string CacheKey =>
        ComputedKeys.TryGetValue(this, out var key) ? key : ComputedKeys.GetValue(this, static request => LlmRequestCanonicalizer.ComputeKey(request));

    /// <summary>Gets the text stored as <see cref="LlmResponse.Prompt"/>: the prompt, or the messages as <c>role: content</c> lines.</summary>
    public string PromptText => Prompt ?? string.Join('\n', (Messages ?? []).Select(m => $"{m.Role}: {m.Content}"));

    /// <summary>Creates a completion-style request. Both factories take what is asked first and the model last.</summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="model">The model.</param>
    /// <returns>The request.</returns>
    public static LlmRequest ForPrompt(string prompt, string? model = null) => new() { Prompt = prompt, Model = model };

    /// <summary>Creates a chat-style request. Both factories take what is asked first and the model last.</summary>
    /// <param name="messages">The messages, in order.</param>
    /// <param name="model">The model.</param>
    /// <returns>The request.</returns>
    /// <example><code>LlmRequest.ForChat([new("system", "Be brief."), new("user", "Plan it")], model: "gpt-4o")</code></example>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is <see langword="null"/>.</exception>
    public static LlmRequest ForChat(IReadOnlyList<LlmMessage> messages, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return new() { Messages = [.. messages], Model = model };
    }

    /// <summary>Returns the canonical JSON the cache key hashes: sorted keys, no whitespace, nulls omitted.</summary>
    /// <returns>The canonical JSON.</returns>
    public string GetCanonicalJson() => Encoding.UTF8.GetString(LlmRequestCanonicalizer.Serialize(this));
}
