using Checkpointing.Extensions.AI.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.AI;
using Xunit;

namespace Checkpointing.Extensions.AI.Tests;

public sealed class StreamingTests : ChatTestBase
{
    public StreamingTests()
    {
        Model.Respond = (_, options) => new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextContent("one "), new TextContent("two "), new TextContent("three")]))
        {
            ModelId = options?.ModelId,
            ResponseId = "resp-stream",
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 7, OutputTokenCount = 3, TotalTokenCount = 10 },
        };
    }

    [Fact]
    public async Task Miss_StreamsEachUpdateBeforeTheNextIsProduced_ThenAResumedRunReplaysTheStoredResponse()
    {
        // The model produces update n only once the caller has received update n - 1; a middleware that gathered the
        // whole stream before passing it on would never see update 1 (the guard below turns that hang into a failure).
        var received = Enumerable.Range(0, 16).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var count = 0;
        Model.BeforeUpdate = index => index == 0 ? Task.CompletedTask : received[index - 1].Task.WaitAsync(TimeSpan.FromSeconds(30));

        var fresh = await ReadInFailingStageAsync(() => received[count++].TrySetResult());

        fresh.Should().HaveCountGreaterThan(2, "the model streamed one update per content");
        Model.Calls.Should().Be(1);
        Model.BeforeUpdate = null;

        var replayed = await RunInStageAsync("draft", async token => await ReadAsync(token));

        Model.Calls.Should().Be(1, "the stored response is replayed");
        replayed.ToChatResponse().Text.Should().Be("one two three");
        replayed.ToChatResponse().ResponseId.Should().Be("resp-stream");
        replayed.ToChatResponse().Usage!.TotalTokenCount.Should().Be(10);
        fresh.ToChatResponse().Text.Should().Be("one two three");
    }

    [Fact]
    public async Task Miss_ThenNonStreamingCallOfTheSameRequest_IsAHit()
    {
        var response = await RunInStageAsync("draft", async token =>
        {
            await ReadAsync(token);
            return await Client.GetResponseAsync("write", new ChatOptions { ModelId = "m" }, token);
        });

        Model.Calls.Should().Be(1);
        response.Text.Should().Be("one two three");
        response.FinishReason.Should().Be(ChatFinishReason.Stop);
    }

    [Fact]
    public async Task AbandonedStream_CachesNothing()
    {
        await RunInStageAsync("draft", async token =>
        {
            await foreach (var update in Client.GetStreamingResponseAsync("write", new ChatOptions { ModelId = "m" }, token))
            {
                break;   // the caller walks away after the first update
            }

            return await ReadAsync(token);
        });

        Model.Calls.Should().Be(2, "the abandoned stream was not cached, so the full read paid again");
        (await LoadAsync()).StageCheckpoints["draft"].LlmResponses.Should().ContainSingle();
    }

    [Fact]
    public async Task FailedStream_CachesNothingAndRethrows()
    {
        Model.BeforeUpdate = index => index == 2 ? throw new HttpRequestException("connection reset") : Task.CompletedTask;

        var act = () => RunInStageAsync("draft", ReadAsync);

        await act.Should().ThrowAsync<HttpRequestException>();
        Model.BeforeUpdate = null;
        await RunInStageAsync("draft", ReadAsync);
        Model.Calls.Should().Be(2);
    }

    private async Task<List<ChatResponseUpdate>> ReadInFailingStageAsync(Action onUpdate)
    {
        List<ChatResponseUpdate> updates = [];
        var act = () => RunInStageAsync<int>("draft", async token =>
        {
            await foreach (var update in Client.GetStreamingResponseAsync("write", new ChatOptions { ModelId = "m" }, token))
            {
                updates.Add(update);
                onUpdate();
            }

            throw new InvalidOperationException("the stage fails after its streamed call");
        });
        await act.Should().ThrowAsync<InvalidOperationException>();
        return updates;
    }

    private async Task<List<ChatResponseUpdate>> ReadAsync(CancellationToken token)
    {
        List<ChatResponseUpdate> updates = [];
        await foreach (var update in Client.GetStreamingResponseAsync("write", new ChatOptions { ModelId = "m" }, token))
        {
            updates.Add(update);
        }

        return updates;
    }
}
