using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Checkpointing.Tests.Maintenance;

/// <summary>CheckpointMaintenance.PruneAsync: by status, age and count, with a dry run, never touching an owned card.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes it through IAsyncLifetime.DisposeAsync.")]
public sealed class PruneTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly InMemoryCheckpointRepository _repository = new();
    private readonly FakeTimeProvider _time = new(Now);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _repository.DisposeAsync();

    [Fact]
    public async Task Prune_ByStatusAndAge_DeletesOnlyMatchingRuns()
    {
        await StoreAsync("old-done", CheckpointStatus.Completed, daysAgo: 40);
        await StoreAsync("new-done", CheckpointStatus.Completed, daysAgo: 2);
        await StoreAsync("old-failed", CheckpointStatus.Failed, daysAgo: 40);

        var report = await Maintenance().PruneAsync(new PruneCriteria { Statuses = new HashSet<CheckpointStatus> { CheckpointStatus.Completed }, OlderThan = TimeSpan.FromDays(30) });

        report.DryRun.Should().BeFalse();
        report.Deleted.Select(r => r.CardId).Should().Equal("old-done");
        report.Skipped.Should().BeEmpty();
        (await _repository.ListCardIdsAsync()).Should().BeEquivalentTo("new-done", "old-failed");
    }

    [Fact]
    public async Task Prune_KeepLast_KeepsTheMostRecentlyUpdated_AndDryRunDeletesNothing()
    {
        for (var i = 1; i <= 4; i++)
        {
            await StoreAsync($"run-{i}", CheckpointStatus.Completed, daysAgo: i);
        }

        var dry = await Maintenance().PruneAsync(new PruneCriteria { KeepLast = 2 }, dryRun: true);
        var stillThere = await _repository.ListCardIdsAsync();
        var real = await Maintenance().PruneAsync(new PruneCriteria { KeepLast = 2 });

        dry.DryRun.Should().BeTrue();
        dry.Deleted.Select(r => r.CardId).Should().Equal("run-3", "run-4");
        stillThere.Should().HaveCount(4);
        real.Deleted.Select(r => r.CardId).Should().Equal("run-3", "run-4");
        (await _repository.ListCardIdsAsync()).Should().BeEquivalentTo("run-1", "run-2");
    }

    [Fact]
    public async Task Prune_OwnedCard_IsLeftAloneAndReported()
    {
        await StoreAsync("owned", CheckpointStatus.Failed, daysAgo: 50);
        await StoreAsync("free", CheckpointStatus.Failed, daysAgo: 50);
        await using var owner = await _repository.AcquireOwnershipAsync("owned", TimeSpan.Zero);

        var report = await Maintenance().PruneAsync(new PruneCriteria { Statuses = new HashSet<CheckpointStatus> { CheckpointStatus.Failed } });

        report.Deleted.Select(r => r.CardId).Should().Equal("free");
        report.Skipped.Should().ContainSingle().Which.Should().Match<SkippedRun>(s => s.CardId == "owned" && s.Reason.StartsWith("owned: ", StringComparison.Ordinal));
        (await _repository.ExistsAsync("owned")).Should().BeTrue();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Prune_WithoutCriteriaOrWithEmptyStatuses_IsRefused(bool emptyStatuses)
    {
        await StoreAsync("kept", CheckpointStatus.Completed, daysAgo: 1);
        var criteria = emptyStatuses ? new PruneCriteria { Statuses = new HashSet<CheckpointStatus>() } : new PruneCriteria();

        await FluentActions.Awaiting(() => Maintenance().PruneAsync(criteria)).Should().ThrowAsync<ArgumentException>();
        (await _repository.ExistsAsync("kept")).Should().BeTrue();
    }

    private CheckpointMaintenance Maintenance() => new(_repository, _time);

    private Task StoreAsync(string cardId, CheckpointStatus status, int daysAgo) =>
        _repository.SaveAsync(new PipelineCheckpoint
        {
            CheckpointId = "c-" + cardId,
            CardId = cardId,
            Status = status,
            CreatedAt = Now.AddDays(-daysAgo),
            UpdatedAt = Now.AddDays(-daysAgo),
            Version = 1,
        });
}
