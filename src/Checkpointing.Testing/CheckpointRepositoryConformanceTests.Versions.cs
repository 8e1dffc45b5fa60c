using FluentAssertions;
using Xunit;

namespace Checkpointing.Testing;

public abstract partial class CheckpointRepositoryConformanceTests
{
    /// <summary>The first save of a card must be version 1; any other is refused (stored version 0) and nothing is stored.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Save_NewCardAtVersionOtherThan1_ThrowsConflictAndWritesNothing()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("new-v2");

        var conflict = (await FluentActions.Awaiting(() => repository.SaveAsync(CheckpointSamples.Minimal(cardId, version: 2)))
            .Should().ThrowAsync<CheckpointConflictException>()).Which;

        conflict.CardId.Should().Be(cardId);
        conflict.StoredVersion.Should().Be(0);
        conflict.AttemptedVersion.Should().Be(2);
        (await repository.ExistsAsync(cardId)).Should().BeFalse();
        (await (await OpenRepositoryAsync()).LoadAsync(cardId)).Should().BeNull();
    }

    /// <summary>A whole save made against an old version (or skipping ahead) is refused, names both versions, and writes nothing.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Save_StaleOrSkippingVersion_ThrowsConflictWithVersionsAndWritesNothing()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("stale-save");
        var stored = CheckpointSamples.Checkpoint(cardId);
        await repository.SaveAsync(stored);
        stored = await ApplyAndSaveAsync(repository, stored, new CurrentStageSet(2, CheckpointSamples.At(20), "analyze"));

        foreach (var attempted in new long[] { 1, 2, 4, 100 })
        {
            var refused = CheckpointSamples.Minimal(cardId, attempted) with { CheckpointId = $"refused-{attempted}" };
            var conflict = (await FluentActions.Awaiting(() => repository.SaveAsync(refused))
                .Should().ThrowAsync<CheckpointConflictException>($"version {attempted} was not made against stored version 2")).Which;
            conflict.CardId.Should().Be(cardId);
            conflict.StoredVersion.Should().Be(2);
            conflict.AttemptedVersion.Should().Be(attempted);
        }

        await ShouldLoadAsync(repository, stored, "after refused saves");
    }

    /// <summary>A change made against an old version (or skipping ahead) is refused, names both versions, and writes nothing.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task SaveChange_StaleOrSkippingVersion_ThrowsConflictWithVersionsAndWritesNothing()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("stale-change");
        var original = CheckpointSamples.Checkpoint(cardId);
        await repository.SaveAsync(original);
        var stored = await ApplyAndSaveAsync(repository, original, new CurrentStageSet(2, CheckpointSamples.At(20), "first"));

        var stale = new CurrentStageSet(2, CheckpointSamples.At(21), "stale");
        var conflict = (await FluentActions.Awaiting(() => repository.SaveChangeAsync(new AppliedChange(original, stale)))
            .Should().ThrowAsync<CheckpointConflictException>()).Which;
        conflict.CardId.Should().Be(cardId);
        conflict.StoredVersion.Should().Be(2);
        conflict.AttemptedVersion.Should().Be(2);

        var skippingBase = stored with { Version = 3 };
        var skipping = new LlmResponseCached(4, CheckpointSamples.At(22), "analyze", CheckpointSamples.Response("skipping"));
        conflict = (await FluentActions.Awaiting(() => repository.SaveChangeAsync(new AppliedChange(skippingBase, skipping)))
            .Should().ThrowAsync<CheckpointConflictException>()).Which;
        conflict.StoredVersion.Should().Be(2);
        conflict.AttemptedVersion.Should().Be(4);

        await ShouldLoadAsync(repository, stored, "after refused changes");
        var next = await ApplyAndSaveAsync(repository, stored, new CurrentStageSet(3, CheckpointSamples.At(23), "after refusals"));
        await ShouldLoadAsync(repository, next, "after the next valid change");
    }

    /// <summary>A change to a card with nothing stored must be version 1; any other is refused with stored version 0.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task SaveChange_OnCardWithNothingStoredAtVersionAbove1_ThrowsConflict()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("missing-change");
        var change = new CurrentStageSet(3, CheckpointSamples.At(20), "analyze");

        var conflict = (await FluentActions.Awaiting(() => repository.SaveChangeAsync(new AppliedChange(CheckpointSamples.Minimal(cardId, 2), change)))
            .Should().ThrowAsync<CheckpointConflictException>()).Which;

        conflict.StoredVersion.Should().Be(0);
        conflict.AttemptedVersion.Should().Be(3);
        (await repository.ExistsAsync(cardId)).Should().BeFalse();
    }

    /// <summary>Two repositories that loaded the same version race: the second writer's change is refused and the first one's kept.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task SaveChange_TwoRepositoriesFromSameVersion_SecondIsRefused()
    {
        var first = await OpenRepositoryAsync();
        var second = await OpenRepositoryAsync();
        var cardId = NewCardId("race");
        await first.SaveAsync(CheckpointSamples.Checkpoint(cardId));
        var seenByFirst = (await first.LoadAsync(cardId))!;
        var seenBySecond = (await second.LoadAsync(cardId))!;

        var winner = await ApplyAndSaveAsync(first, seenByFirst, new CurrentStageSet(2, CheckpointSamples.At(20), "winner"));
        var loser = new CurrentStageSet(2, CheckpointSamples.At(21), "loser");
        var conflict = (await FluentActions.Awaiting(() => second.SaveChangeAsync(new AppliedChange(seenBySecond, loser)))
            .Should().ThrowAsync<CheckpointConflictException>()).Which;

        conflict.StoredVersion.Should().Be(2);
        conflict.AttemptedVersion.Should().Be(2);
        await ShouldLoadAsync(second, winner, "after the losing writer was refused");
        var reloaded = (await second.LoadAsync(cardId))!;
        var retried = await ApplyAndSaveAsync(second, reloaded, new CurrentStageSet(3, CheckpointSamples.At(22), "loser, retried"));
        await ShouldLoadAsync(first, retried, "after the losing writer reloaded and retried");
    }
}
