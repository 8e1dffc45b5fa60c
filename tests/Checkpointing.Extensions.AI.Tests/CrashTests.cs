using Checkpointing.Extensions.AI.Tests.Support;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Extensions.AI.Tests;

public sealed class CrashTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ChildSigkilledAfterTwoOfThreeCalls_ResumedRunMakesExactlyOneCall()
    {
        using (var first = ChildProcess.Start(ChatChildScenarios.ThreeCalls, _temp.Path, "2"))
        {
            await first.WaitForLineAsync(line => line == "paid 2", TimeSpan.FromMinutes(1));
            var lines = await first.KillHardAndDrainAsync();
            lines.Should().NotContain("done");
        }

        using var second = ChildProcess.Start(ChatChildScenarios.ThreeCalls, _temp.Path, "0");
        var exitCode = await second.WaitForExitAsync(TimeSpan.FromMinutes(1));

        exitCode.Should().Be(0, second.Describe());
        second.Lines.Should().Contain("paid 1", "only the third question was not paid for before the kill")
            .And.Contain("answers answer to question 1 | answer to question 2 | answer to question 3")
            .And.Contain("done");
        var checkpoint = await new FileSystemCheckpointRepository(_temp.Path).LoadAsync("CARD-CHAT");
        checkpoint!.CompletedStages.Should().Equal("analysis");
        checkpoint.StageCheckpoints["analysis"].LlmResponses.Should().HaveCount(3);
    }
}
