using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Pipeline;

/// <summary>Concurrent requests for one answer share one paid call, and one waiter's cancellation is its own.</summary>
public sealed class InflightLlmCallTests : IAsyncDisposable
{
    private readonly CheckpointManager _manager = new("CARD-1", new InMemoryCheckpointRepository());

    public ValueTask DisposeAsync() => _manager.DisposeAsync();

    [Fact]
    public async Task OneWaiterCancelling_CancelsOnlyItsOwnWait_AndTheOthersGetTheOnePaidAnswer()
    {
        await _manager.CreateCheckpointAsync(1);
        var request = LlmRequest.ForPrompt("design it", "gpt-4o");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var callToken = CancellationToken.None;
        async Task<LlmResponse> Call(CancellationToken token)
        {
            Interlocked.Increment(ref calls);
            callToken = token;
            started.TrySetResult();
            await release.Task.WaitAsync(token);
            return new LlmResponse(request.PromptText, "the design");
        }

        using var firstCancel = new CancellationTokenSource();
        var first = _manager.GetOrAddLlmResponseAsync("architecture", request, Call, firstCancel.Token);
        await started.Task;
        var second = _manager.GetOrAddLlmResponseAsync("architecture", request, Call, CancellationToken.None);

        await firstCancel.CancelAsync();
        var cancelled = () => first;
        await cancelled.Should().ThrowAsync<OperationCanceledException>();
        callToken.IsCancellationRequested.Should().BeFalse("another waiter still wants the answer");

        release.SetResult();
        (await second).Response.Should().Be("the design");
        calls.Should().Be(1);
        _manager.GetCachedLlmResponse("architecture", request.PromptText).Should().NotBeNull("the one paid answer is written ahead");
    }

    [Fact]
    public async Task EveryWaiterGone_CancelsTheCall_AndALaterRequestCallsAgain()
    {
        await _manager.CreateCheckpointAsync(1);
        var request = LlmRequest.ForPrompt("design it", "gpt-4o");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callToken = CancellationToken.None;
        async Task<LlmResponse> Hanging(CancellationToken token)
        {
            callToken = token;
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
            throw new InvalidOperationException("unreachable");
        }

        using var a = new CancellationTokenSource();
        using var b = new CancellationTokenSource();
        var first = _manager.GetOrAddLlmResponseAsync("architecture", request, Hanging, a.Token);
        await started.Task;
        var second = _manager.GetOrAddLlmResponseAsync("architecture", request, Hanging, b.Token);

        await a.CancelAsync();
        await ((Func<Task>)(() => first)).Should().ThrowAsync<OperationCanceledException>();
        callToken.IsCancellationRequested.Should().BeFalse("one waiter is left");
        await b.CancelAsync();
        await ((Func<Task>)(() => second)).Should().ThrowAsync<OperationCanceledException>();
        callToken.IsCancellationRequested.Should().BeTrue("the last waiter leaving cancels the call before its wait ends");

        var answer = await _manager.GetOrAddLlmResponseAsync(
            "architecture", request, _ => Task.FromResult(new LlmResponse(request.PromptText, "second try")));
        answer.Response.Should().Be("second try", "an abandoned call is not shared with later requests");
    }
}
