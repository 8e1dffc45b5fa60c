using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Checkpointing.Tests.Manager;

/// <summary>What a kept completed run tells the operator, and how a manager that already opened a run behaves.</summary>
public sealed class CompletedRunTests : IDisposable
{
    private readonly InMemoryCheckpointRepository _repository = new();
    private readonly RecordingLoggerFactory _log = new();

    [Fact]
    public async Task KeptCompletedRun_AChangedFingerprint_IsLoggedAsAWarning_AndTheStoredResultReturned()
    {
        await using (var first = NewManager())
        {
            await first.ResumeOrCreateAsync(1);
            await first.RunStageAsync("plan", (_, _) => Task.FromResult("v1 plan"), new StageOptions { Fingerprint = "prompts-v1" });
            await first.MarkCompletedAsync();
        }

        await using var second = NewManager();
        await second.ResumeOrCreateAsync(1);
        var result = await second.RunStageAsync("plan", (_, _) => Task.FromResult("v2 plan"), new StageOptions { Fingerprint = "prompts-v2" });

        result.Should().Be("v1 plan");
        _log.Entries.Should().Contain(e => e.Level == LogLevel.Warning
            && e.Message.Contains("'prompts-v1' to 'prompts-v2'", StringComparison.Ordinal) && e.Message.Contains("completed", StringComparison.Ordinal));
        _log.Entries.Should().Contain(e => e.Message.Contains("kept as it is", StringComparison.Ordinal), "the log says the completed run was kept");
    }

    [Fact]
    public async Task ResumeOrCreateAsync_CalledAgainOnTheSameManager_ReturnsTheOpenRun_AndWritesNothing()
    {
        await using (var first = NewManager())
        {
            await first.ResumeOrCreateAsync(2);
        }

        await using var manager = NewManager();
        var opened = await manager.ResumeOrCreateAsync(2);
        var again = await manager.ResumeOrCreateAsync(2);

        again.Should().BeSameAs(opened);
        again.ResumeCount.Should().Be(1, "opening the run once is one resume");
        (await _repository.LoadAsync("CARD-1"))!.Version.Should().Be(opened.Version);
    }

    public void Dispose() => _log.Dispose();

    private CheckpointManager NewManager() => new("CARD-1", _repository, loggerFactory: _log);
}
