using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Checkpointing;

/// <summary>
/// A middleware that makes every LLM call made inside <see cref="CheckpointManager.RunStageAsync{T}"/> durable and
/// paid once: the stage's cached answer to the same request is returned without calling the inner client; otherwise
/// the inner client is called once and its whole <see cref="ChatResponse"/> is written ahead before it is returned.
/// The running stage is found through <see cref="StageContext.Current"/>, so the client is built once and shared.
/// </summary>
/// <remarks>
/// <para>
/// The cache key covers the messages (roles, authors, texts, data by SHA-256, function calls and results, other
/// contents) and every <see cref="ChatOptions"/> setting that changes the answer, in a versioned form this library
/// defines (see the package README). Answers that were truncated (<see cref="ChatFinishReason.Length"/>), filtered
/// (<see cref="ChatFinishReason.ContentFilter"/>) or hold an <see cref="ErrorContent"/> are returned, never cached.
/// </para>
/// <para>
/// Put it inside function invocation (<c>.UseFunctionInvocation().UseCheckpointing()</c>) so that each round trip to
/// the model is cached on its own; tools then run again on resume, with the same arguments, while the model is not
/// paid again.
/// </para>
/// </remarks>
public sealed class CheckpointingChatClient : DelegatingChatClient
{
    private readonly CheckpointingChatClientOptions _options;
    private readonly ChatRequestCanonicalForm _canonicalForm;
    private readonly ChatResponseRecord _record;

    /// <summary>Initializes the middleware around <paramref name="innerClient"/>.</summary>
    /// <param name="innerClient">The client that makes the paid calls.</param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    public CheckpointingChatClient(IChatClient innerClient, CheckpointingChatClientOptions? options = null)
        : base(innerClient)
    {
        _options = options ?? new CheckpointingChatClientOptions();
        _canonicalForm = new ChatRequestCanonicalForm(_options.SerializerOptions);
        _record = new ChatResponseRecord(_options);
    }

    /// <summary>
    /// Returns the request <paramref name="messages"/> and <paramref name="options"/> make, as the stage's cache sees it:
    /// its <see cref="LlmRequest.CacheKey"/> is the key of the answer and its <see cref="LlmRequest.GetCanonicalJson"/>
    /// shows what the key covers.
    /// </summary>
    /// <param name="messages">The chat messages.</param>
    /// <param name="options">The chat options.</param>
    /// <returns>The request.</returns>
    public LlmRequest CreateRequest(IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        return new LlmRequest
        {
            Messages = [.. list.Select(m => new LlmMessage(m.Role.Value, m.Text) { Name = m.AuthorName })],
            Model = options?.ModelId,
            Extras = new Dictionary<string, JsonElement>(StringComparer.Ordinal) { ["chat"] = _canonicalForm.Write(list, options) },
        };
    }

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (CurrentStage() is not { } stage)
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var request = CreateRequest(list, options);
        ChatResponse? fresh = null;
        var record = await stage.GetOrAddLlmResponseAsync(request, async token =>
        {
            fresh = await base.GetResponseAsync(list, options, token).ConfigureAwait(false);
            return _record.ToRecord(request, fresh);
        }, cancellationToken).ConfigureAwait(false);
        return fresh ?? _record.FromRecord(record);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A miss streams the inner client's updates as they arrive and writes the assembled response ahead when the
    /// stream completes, before the enumeration ends; a stream abandoned or failed before its end caches nothing. A hit
    /// replays the stored response as updates.
    /// </remarks>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (CurrentStage() is not { } stage)
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var request = CreateRequest(list, options);
        var call = new StreamingCall(
            token => base.GetStreamingResponseAsync(list, options, token), updates => _record.ToRecord(request, updates.ToChatResponse()), cancellationToken);
        await using var disposeCall = call.ConfigureAwait(false);
        call.Start(stage, request);
        await foreach (var update in call.ReadFreshAsync().ConfigureAwait(false))
        {
            yield return update;
        }

        var record = await call.CompleteAsync().ConfigureAwait(false);
        if (!call.Invoked)
        {
            foreach (var update in _record.FromRecord(record).ToChatResponseUpdates())
            {
                yield return update;
            }
        }
    }

    private StageContext? CurrentStage() =>
        StageContext.Current ?? (_options.OutsideStage == OutsideStageBehavior.Throw
            ? throw new InvalidOperationException(
                "CheckpointingChatClient was called outside CheckpointManager.RunStageAsync, and its OutsideStage option is Throw: "
                + "make the call from a stage's work, or set OutsideStage to PassThrough to let such calls through uncached.")
            : null);
}
