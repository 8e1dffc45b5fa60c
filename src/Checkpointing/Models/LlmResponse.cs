using System.Collections.Immutable;
using System.Text.Json;
using Checkpointing.Json;
using Checkpointing.LlmCache;

namespace Checkpointing;

/// <summary>One answer an LLM gave to a prompt: the thing a resumed pipeline must not pay for twice.</summary>
/// <param name="Prompt">The prompt exactly as sent; the cache key is the SHA-256 of its UTF-8 bytes.</param>
/// <param name="Response">The response text.</param>
public sealed record LlmResponse(string Prompt, string Response)
{
    private string? _prompt = Prompt;
    private string? _response = Response;

    /// <summary>The prompt as stored, decoded on first use (set only when read from a file the store keeps alive).</summary>
    private readonly StoredJsonString _storedPrompt;

    /// <summary>The response text as stored, decoded on first use (set only when read from a file the store keeps alive).</summary>
    private readonly StoredJsonString _storedText;

    /// <summary>A stored response that is not a string, written back as it is.</summary>
    private readonly JsonElement _storedResponse;

    /// <summary>Initializes a response whose texts stay in the stored file until they are first read.</summary>
    /// <param name="storedPrompt">The prompt as stored, in bytes that outlive this object.</param>
    /// <param name="storedText">The response as stored, or the default value when the response has none.</param>
    internal LlmResponse(StoredJsonString storedPrompt, StoredJsonString storedText)
        : this(null!, null!)
    {
        _storedPrompt = storedPrompt;
        _storedText = storedText;
    }

    /// <summary>Copies <paramref name="original"/>, with the texts given as stored replacing its decoded ones.</summary>
    /// <param name="original">The response to copy.</param>
    /// <param name="storedPrompt">The prompt as stored, or the default value to keep the original's.</param>
    /// <param name="storedText">The response text as stored, or the default value to keep the original's.</param>
    private LlmResponse(LlmResponse original, StoredJsonString storedPrompt, StoredJsonString storedText)
        : this(original)
    {
        if (!storedPrompt.IsEmpty)
        {
            _prompt = null;
            _storedPrompt = storedPrompt;
        }

        if (!storedText.IsEmpty)
        {
            _response = null;
            _storedText = storedText;
        }
    }

    /// <summary>
    /// Initializes a response read from a store whose <c>response</c> is not a string (the Python manager can write
    /// <c>null</c>): <see cref="Response"/> reads as empty, and the stored value is written back as it was.
    /// </summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="storedResponse">The stored value, of a document that outlives this object.</param>
    internal LlmResponse(string prompt, JsonElement storedResponse)
        : this(prompt, null!)
    {
        _storedResponse = storedResponse;
    }

    /// <summary>Gets the prompt exactly as sent; the cache key is the SHA-256 of its UTF-8 bytes.</summary>
    public string Prompt
    {
        get => _prompt ??= _storedPrompt.IsEmpty ? string.Empty : _storedPrompt.Decode();
        init
        {
            _prompt = value;
            _storedPrompt = default;
        }
    }

    /// <summary>Gets the response text.</summary>
    /// <remarks>
    /// Responses loaded by the file store keep their text in the loaded file's bytes until first read, so resuming a
    /// long run does not decode (and the collector does not copy) every answer it will never look at.
    /// </remarks>
    public string Response
    {
        get => _response ??= _storedText.IsEmpty ? string.Empty : _storedText.Decode();
        init
        {
            _response = value;
            _storedText = default;
            _storedResponse = default;
        }
    }

    /// <summary>Gets the model that answered, when known. Lookups that name a model only match responses of that model.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the tokens and cost of the call, when known; totals appear in <see cref="CostReport"/>.</summary>
    public LlmUsage? Usage { get; init; }

    /// <summary>
    /// Gets why the model stopped (<c>stop</c>, <c>length</c>, <c>error</c>, ...), when known. A response that was
    /// truncated (<c>length</c>, <c>max_tokens</c>), filtered (<c>content_filter</c>) or failed (<c>error</c>) is never cached by
    /// <see cref="CheckpointManager.GetOrAddLlmResponseAsync"/>.
    /// </summary>
    public string? FinishReason { get; init; }

    /// <summary>Gets the cache key of the <see cref="LlmRequest"/> that produced this response, when it came through one.</summary>
    public string? RequestKey { get; init; }

    /// <summary>Gets whether the response is complete and may be reused: not truncated and not failed.</summary>
    public bool IsReusable => FinishReason is not ("length" or "max_tokens" or "error" or "failed" or "truncated" or "content_filter");

    /// <summary>
    /// Gives this response with the texts it holds as strings kept in <paramref name="texts"/> instead; the same object
    /// when it holds none (it was read from a store and not decoded since, or its texts are empty or not valid UTF-16).
    /// </summary>
    internal LlmResponse KeepTextsIn(ResponseTexts texts)
    {
        var prompt = _storedPrompt.IsEmpty && Volatile.Read(ref _prompt) is { } decodedPrompt ? texts.Store(decodedPrompt) : default;
        var text = _storedText.IsEmpty && _storedResponse.ValueKind == JsonValueKind.Undefined && Volatile.Read(ref _response) is { } decodedText
            ? texts.Store(decodedText)
            : default;
        return prompt.IsEmpty && text.IsEmpty ? this : new LlmResponse(this, prompt, text);
    }

    /// <summary>Tells whether the prompt is still undecoded in the stored file, and gives it as stored.</summary>
    internal bool TryGetStoredPrompt(out StoredJsonString storedPrompt)
    {
        storedPrompt = _storedPrompt;
        return Volatile.Read(ref _prompt) is null && !storedPrompt.IsEmpty;
    }

    /// <summary>Tells whether the response text is still undecoded in the stored file, and gives it as stored.</summary>
    internal bool TryGetStoredText(out StoredJsonString storedText)
    {
        storedText = _storedText;
        return Volatile.Read(ref _response) is null && !storedText.IsEmpty;
    }

    /// <summary>Tells whether the stored response is not a string, and gives that JSON value, to write back as it is.</summary>
    internal bool TryGetStoredResponse(out JsonElement storedResponse)
    {
        storedResponse = _storedResponse;
        return storedResponse.ValueKind != JsonValueKind.Undefined;
    }

    /// <summary>Compares by value; a response whose text is not decoded yet equals the same response decoded.</summary>
    /// <param name="other">The other response.</param>
    /// <returns><see langword="true"/> when every property is equal (<see cref="AdditionalProperties"/> by their JSON text).</returns>
    public bool Equals(LlmResponse? other) =>
        other is not null
        && SameTexts(other)
        && Model == other.Model
        && Equals(Usage, other.Usage)
        && FinishReason == other.FinishReason
        && RequestKey == other.RequestKey
        && SameJson(AdditionalProperties, other.AdditionalProperties);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(TextsHash(), Model, Usage, FinishReason, RequestKey, AdditionalProperties.Count);

    /// <summary>Hashes the prompt and response text as <see cref="SameTexts"/> compares them: without decoding stored texts.</summary>
    internal int TextsHash() => HashCode.Combine(StoredJsonString.TextHash(PromptAsKept()), StoredJsonString.TextHash(TextAsKept()));

    /// <summary>
    /// Whether both responses have the same prompt and response text, compared as UTF-8 where a text is still stored, so
    /// that comparing does not decode (and keep) texts nobody reads.
    /// </summary>
    internal bool SameTexts(LlmResponse other) =>
        StoredJsonString.TextEquals(PromptAsKept(), other.PromptAsKept()) && StoredJsonString.TextEquals(TextAsKept(), other.TextAsKept());

    private (StoredJsonString Stored, string? Decoded) PromptAsKept() => TryGetStoredPrompt(out var stored) ? (stored, null) : (default, Prompt);

    private (StoredJsonString Stored, string? Decoded) TextAsKept() => TryGetStoredText(out var stored) ? (stored, null) : (default, Response);

    private static bool SameJson(IReadOnlyDictionary<string, JsonElement> a, IReadOnlyDictionary<string, JsonElement> b) =>
        ReferenceEquals(a, b)
        || (a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var value) && value.GetRawText() == p.Value.GetRawText()));

    /// <summary>
    /// Gets fields that this library does not interpret (for example <c>tokens</c> or <c>cost_usd</c> written by
    /// the Python manager). They are kept and written back unchanged.
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement> AdditionalProperties { get; init; } =
        ImmutableDictionary<string, JsonElement>.Empty;
}
