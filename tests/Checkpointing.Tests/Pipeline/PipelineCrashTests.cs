using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Pipeline;

public sealed class PipelineCrashTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task RunStageAsync_CrashAfterTwoOfThreeCalls_ResumedRunMakesExactlyOneCall()
    {
        var (crashed, crashOutput) = await RunChildAsync(crashAfter: 2);
        crashed.Should().NotBe(0, "the child died mid-stage");
        crashOutput.Should().Contain("paid 2");

        var (exitCode, output) = await RunChildAsync(crashAfter: 0);

        exitCode.Should().Be(0, output);
        output.Should().Contain("paid 1").And.Contain("done");
        var checkpoint = await new FileSystemCheckpointRepository(_temp.Path).LoadAsync("CARD-PIPE");
        checkpoint!.CompletedStages.Should().Equal("analysis");
        checkpoint.StageCheckpoints["analysis"].GetResult<List<string>>().Should().Equal("answer 1", "answer 2", "answer 3");
        checkpoint.StageCheckpoints["analysis"].LlmResponses.Should().HaveCount(3);
    }

    private async Task<(int ExitCode, string Output)> RunChildAsync(int crashAfter)
    {
        using var child = ChildProcess.Start("pipeline-three-calls", _temp.Path, crashAfter.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var exitCode = await child.WaitForExitAsync(TimeSpan.FromMinutes(1));
        return (exitCode, string.Join('\n', child.Lines));
    }
}
