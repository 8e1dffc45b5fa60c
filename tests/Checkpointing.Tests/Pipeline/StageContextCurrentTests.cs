using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Pipeline;

public sealed class StageContextCurrentTests
{
    [Fact]
    public async Task Current_IsTheRunningStageInsideItsWorkAndNullOutside()
    {
        await using var manager = new CheckpointManager("CARD-CURRENT", new InMemoryCheckpointRepository());
        await manager.ResumeOrCreateAsync(totalStages: 2);
        StageContext? seen = null;
        StageContext? seenInTask = null;
        StageContext? innerSeen = null;

        await manager.RunStageAsync("outer", async (context, token) =>
        {
            seen = StageContext.Current;
            seenInTask = await Task.Run(() => StageContext.Current, token);
            await manager.RunStageAsync("inner", (inner, _) =>
            {
                innerSeen = StageContext.Current;
                return Task.CompletedTask;
            }, cancellationToken: token);
            StageContext.Current.Should().BeSameAs(context, "a nested stage does not change the outer stage's flow");
            return 1;
        });

        seen!.StageName.Should().Be("outer");
        seenInTask.Should().BeSameAs(seen, "the stage flows into tasks the work starts");
        innerSeen!.StageName.Should().Be("inner");
        StageContext.Current.Should().BeNull("the stage does not flow back to the caller of RunStageAsync");
    }
}
