using System.Text.Json;
using Checkpointing.Extensions.AI.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.AI;
using Xunit;

namespace Checkpointing.Extensions.AI.Tests;

public sealed class CheckpointingChatClientTests : ChatTestBase
{
    [Fact]
    public async Task GetResponseAsync_SameRequestInAFailedStageRerun_IsAnsweredFromTheWriteAheadCache()
    {
        var options = new ChatOptions { ModelId = "gpt-4o" };
        ChatResponse? first = null;
        var failing = async () => await RunInStageAsync<int>("plan", async token =>
        {
            first = await Client.GetResponseAsync("design CARD-AI", options, token);
            throw new InvalidOperationException("the stage failed after its LLM call");
        });
        await failing.Should().ThrowAsync<InvalidOperationException>();

        var second = await RunInStageAsync("plan", token => Client.GetResponseAsync("design CARD-AI", options, token));

        Model.Calls.Should().Be(1, "the answer paid for before the failure is reused");
        Json(second).Should().Be(Json(first!), "every field of the stored response comes back");
        second.ResponseId.Should().Be(first!.ResponseId);
        second.Usage!.InputTokenCount.Should().Be(100);
        second.FinishReason.Should().Be(ChatFinishReason.Stop);
        second.CreatedAt.Should().Be(first.CreatedAt);
    }

    [Fact]
    public async Task GetResponseAsync_StoresReadableFieldsAndTheWholeResponseInTheStageRecord()
    {
        await RunInStageAsync("plan", token => Client.GetResponseAsync("design CARD-AI", new ChatOptions { ModelId = "gpt-4o" }, token));

        var record = (await LoadAsync()).StageCheckpoints["plan"].LlmResponses.Should().ContainSingle().Subject;
        record.Prompt.Should().Be("user: design CARD-AI");
        record.Response.Should().Be("answer to design CARD-AI");
        record.Model.Should().Be("gpt-4o");
        record.FinishReason.Should().Be("stop");
        record.Usage.Should().Be(new LlmUsage(100, 20));
        record.AdditionalProperties["chat_response"].GetProperty("responseId").GetString().Should().Be("resp-14");
    }

    [Fact]
    public async Task GetResponseAsync_ToolCallRoundTrip_IsCachedPerRoundTripWithTheCallsIntact()
    {
        Model.Respond = (messages, _) => messages[^1].Contents.OfType<FunctionResultContent>().Any()
            ? new ChatResponse(new ChatMessage(ChatRole.Assistant, "it is 21 degrees")) { FinishReason = ChatFinishReason.Stop }
            : new ChatResponse(new ChatMessage(ChatRole.Assistant, [
                new FunctionCallContent("call-1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo", ["days"] = 2 }),
            ])) { FinishReason = ChatFinishReason.ToolCalls };

        async Task<(ChatResponse Call, ChatResponse Answer)> ConversationAsync(CancellationToken token)
        {
            List<ChatMessage> history = [new(ChatRole.User, "weather in Oslo?")];
            var call = await Client.GetResponseAsync(history, cancellationToken: token);
            history.AddRange(call.Messages);
            history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call-1", new Dictionary<string, object?> { ["celsius"] = 21 })]));
            var answer = await Client.GetResponseAsync(history, cancellationToken: token);
            return (call, answer);
        }

        var firstCallMessages = await RunInStageAsync("tools", async token => (await ConversationAsync(token)).Call.Messages.Count);
        firstCallMessages.Should().Be(1);
        Model.Calls.Should().Be(2);
        await ReopenFailedAsync("tools");

        var (call, answer) = await RunInStageAsync("tools", ConversationAsync);

        Model.Calls.Should().Be(2, "both round trips were answered from the cache");
        var function = call.Messages.Single().Contents.Should().ContainSingle().Which.Should().BeOfType<FunctionCallContent>().Subject;
        function.CallId.Should().Be("call-1");
        function.Name.Should().Be("get_weather");
        function.Arguments!["city"]!.ToString().Should().Be("Oslo");
        function.Arguments["days"]!.ToString().Should().Be("2");
        call.FinishReason.Should().Be(ChatFinishReason.ToolCalls);
        answer.Text.Should().Be("it is 21 degrees");
    }

    [Theory]
    [InlineData("length")]
    [InlineData("content_filter")]
    public async Task GetResponseAsync_TruncatedOrFilteredAnswer_IsReturnedButNeverCached(string finishReason)
    {
        Model.Respond = (_, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, "cut")) { FinishReason = new ChatFinishReason(finishReason) };

        var first = await RunInStageAsync("plan", async token =>
        {
            var a = await Client.GetResponseAsync("q", cancellationToken: token);
            await Client.GetResponseAsync("q", cancellationToken: token);
            return a;
        });

        first.Text.Should().Be("cut");
        Model.Calls.Should().Be(2);
    }

    [Fact]
    public async Task GetResponseAsync_AnswerWithAnErrorContent_IsNeverCached()
    {
        Model.Respond = (_, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, [new ErrorContent("overloaded")]));

        await RunInStageAsync("plan", async token =>
        {
            await Client.GetResponseAsync("q", cancellationToken: token);
            return await Client.GetResponseAsync("q", cancellationToken: token);
        });

        Model.Calls.Should().Be(2);
    }

    [Fact]
    public async Task GetResponseAsync_OutsideAStage_PassesThroughUncached()
    {
        await Client.GetResponseAsync("q");
        await Client.GetResponseAsync("q");

        Model.Calls.Should().Be(2);
    }

    [Fact]
    public async Task GetResponseAsync_OutsideAStageWithThrow_ThrowsAndNamesTheOption()
    {
        using var strict = new ChatClientBuilder(Model).UseCheckpointing(o => o.OutsideStage = OutsideStageBehavior.Throw).Build();

        var act = () => strict.GetResponseAsync("q");

        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*outside CheckpointManager.RunStageAsync*OutsideStage*");
        Model.Calls.Should().Be(0);
    }

    [Fact]
    public async Task GetResponseAsync_UsageAndEstimatedCost_FeedTheCostReport()
    {
        using var priced = new ChatClientBuilder(Model).UseCheckpointing(o => o.EstimateCost = r => r.Usage!.InputTokenCount * 0.00001m).Build();
        await using var manager = await OpenAsync();

        await manager.RunStageAsync("plan", async (_, token) =>
        {
            await priced.GetResponseAsync("q", cancellationToken: token);
            return await priced.GetResponseAsync("q", cancellationToken: token);
        });

        var report = manager.GetCostReport();
        report.Total.PromptTokens.Should().Be(100, "the one paid answer is kept once in the stage");
        report.Total.CostByCurrency["USD"].Should().Be(0.001m);
        report.SavedByCache.Calls.Should().Be(1);
        report.SavedByCache.PromptTokens.Should().Be(100);
        report.SavedByCache.CostByCurrency["USD"].Should().Be(0.001m);
        Model.Calls.Should().Be(1);
    }

    private async Task ReopenFailedAsync(string stage)
    {
        await using var manager = await OpenAsync();
        await manager.SaveStageCheckpointAsync(stage, StageStatus.Failed, errorMessage: "rerun for the test");
    }
}
