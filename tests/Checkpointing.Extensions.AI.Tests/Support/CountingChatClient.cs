using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Checkpointing.Extensions.AI.Tests.Support;

/// <summary>A fake model: answers with <see cref="Respond"/>, counts every paid call, streams its answer update by update.</summary>
public sealed class CountingChatClient : IChatClient
{
    private int _calls;

    /// <summary>Gets or sets the answer to a request; by default an echo of the last message.</summary>
    public Func<IReadOnlyList<ChatMessage>, ChatOptions?, ChatResponse> Respond { get; set; } = (messages, options) =>
        new ChatResponse(new ChatMessage(ChatRole.Assistant, $"answer to {messages[^1].Text}"))
        {
            ModelId = options?.ModelId ?? "fake-model",
            ResponseId = $"resp-{messages[^1].Text.Length}",
            FinishReason = ChatFinishReason.Stop,
            CreatedAt = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero),
            Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20, TotalTokenCount = 120 },
        };

    /// <summary>Gets or sets a wait before each streamed update after the first, so a test can see updates arrive one by one.</summary>
    public Func<int, Task>? BeforeUpdate { get; set; }

    /// <summary>Gets the paid calls so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(Respond([.. messages], options));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        var index = 0;
        foreach (var update in Respond([.. messages], options).ToChatResponseUpdates().SelectMany(SplitPerContent))
        {
            if (BeforeUpdate is { } wait)
            {
                await wait(index);
            }

            cancellationToken.ThrowIfCancellationRequested();
            index++;
            yield return update;
        }
    }

    /// <summary>One update per content, as a real model streams a message piece by piece.</summary>
    private static IEnumerable<ChatResponseUpdate> SplitPerContent(ChatResponseUpdate update) =>
        update.Contents.Count <= 1
            ? [update]
            : update.Contents.Select((content, i) => new ChatResponseUpdate(update.Role, [content])
            {
                MessageId = update.MessageId,
                ResponseId = update.ResponseId,
                ModelId = update.ModelId,
                CreatedAt = update.CreatedAt,
                FinishReason = i == update.Contents.Count - 1 ? update.FinishReason : null,
            });

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
