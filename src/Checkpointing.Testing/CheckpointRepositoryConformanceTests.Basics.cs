using FluentAssertions;
using Xunit;

namespace Checkpointing.Testing;

public abstract partial class CheckpointRepositoryConformanceTests
{
    /// <summary>A card that was never saved loads as nothing, does not exist and is not listed.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Load_UnknownCard_ReturnsNull()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("unknown");

        (await repository.LoadAsync(cardId)).Should().BeNull();
        (await repository.ExistsAsync(cardId)).Should().BeFalse();
        (await repository.ListCardIdsAsync()).Should().NotContain(cardId);
    }

    /// <summary>A saved checkpoint loads with every field, exists and is listed, by the writer and by a fresh repository.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Save_ThenLoad_ReturnsEveryField()
    {
        var repository = await OpenRepositoryAsync();
        var checkpoint = CheckpointSamples.Checkpoint(NewCardId("save"));

        await repository.SaveAsync(checkpoint);

        await ShouldLoadAsync(repository, checkpoint, "after SaveAsync");
        var fresh = await OpenRepositoryAsync();
        (await fresh.ExistsAsync(checkpoint.CardId)).Should().BeTrue();
        (await fresh.ListCardIdsAsync()).Should().Contain(checkpoint.CardId);
    }

    /// <summary>The smallest checkpoint (no stages, no context, no metadata) round-trips too.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Save_MinimalCheckpoint_RoundTrips()
    {
        var repository = await OpenRepositoryAsync();
        var checkpoint = CheckpointSamples.Minimal(NewCardId("minimal"));

        await repository.SaveAsync(checkpoint);

        await ShouldLoadAsync(repository, checkpoint, "after SaveAsync of a minimal checkpoint");
    }

    /// <summary>Every saved card is listed once, by the writer and by a fresh repository.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task ListCardIds_ReturnsEverySavedCardOnce()
    {
        var repository = await OpenRepositoryAsync();
        string[] ids = [NewCardId("list-a"), NewCardId("list-b"), NewCardId("list-c")];
        foreach (var id in ids)
        {
            await repository.SaveAsync(CheckpointSamples.Minimal(id));
        }

        var change = new CurrentStageSet(2, CheckpointSamples.At(1), "s");
        await ApplyAndSaveAsync(repository, CheckpointSamples.Minimal(ids[0]), change);

        foreach (var lister in new[] { repository, await OpenRepositoryAsync() })
        {
            var listed = await lister.ListCardIdsAsync();
            foreach (var id in ids)
            {
                listed.Count(x => x == id).Should().Be(1, "card '{0}' was saved", id);
            }
        }
    }

    /// <summary>Deleting removes the checkpoint and every change recorded for it; a new run of the card starts at version 1.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Delete_RemovesCheckpointAndChanges_ThenCardStartsAgainAtVersion1()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("delete");
        var checkpoint = CheckpointSamples.Checkpoint(cardId);
        await repository.SaveAsync(checkpoint);
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new CurrentStageSet(2, CheckpointSamples.At(20), "analyze-2"));
        await ApplyAndSaveAsync(repository, checkpoint, new LlmResponseCached(3, CheckpointSamples.At(21), "analyze", CheckpointSamples.Response("p")));

        (await repository.DeleteAsync(cardId)).Should().BeTrue();

        var fresh = await OpenRepositoryAsync();
        foreach (var reader in new[] { repository, fresh })
        {
            (await reader.LoadAsync(cardId)).Should().BeNull();
            (await reader.ExistsAsync(cardId)).Should().BeFalse();
            (await reader.ListCardIdsAsync()).Should().NotContain(cardId);
        }

        (await fresh.DeleteAsync(cardId)).Should().BeFalse("nothing is left to delete");

        var again = CheckpointSamples.Minimal(cardId);
        await repository.SaveAsync(again);
        await ShouldLoadAsync(repository, again, "after deleting and saving version 1 again (no change of the deleted run may come back)");
        var next = await ApplyAndSaveAsync(repository, again, new CurrentStageSet(2, CheckpointSamples.At(30), "fresh"));
        await ShouldLoadAsync(repository, next, "after a change to the new run");
    }

    /// <summary>Deleting a card that was never saved returns false and leaves other cards alone.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Delete_UnknownCard_ReturnsFalseAndKeepsOtherCards()
    {
        var repository = await OpenRepositoryAsync();
        var kept = CheckpointSamples.Minimal(NewCardId("kept"));
        await repository.SaveAsync(kept);

        (await repository.DeleteAsync(NewCardId("never-saved"))).Should().BeFalse();

        await ShouldLoadAsync(repository, kept, "after deleting another card");
    }

    /// <summary>Compacting keeps the state; compacting a card that was never saved does nothing.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Compact_KeepsState_AndUnknownCardIsANoOp()
    {
        var repository = await OpenRepositoryAsync();
        var checkpoint = CheckpointSamples.Checkpoint(NewCardId("compact"));
        await repository.SaveAsync(checkpoint);
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new StageRecorded(2, CheckpointSamples.At(30), CheckpointSamples.Stage("analyze", startSeconds: 20)));
        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new CurrentStageSet(3, CheckpointSamples.At(31), "report"));

        await repository.CompactAsync(checkpoint.CardId);
        await ShouldLoadAsync(repository, checkpoint, "after CompactAsync");
        await repository.CompactAsync(checkpoint.CardId);
        await ShouldLoadAsync(repository, checkpoint, "after a second CompactAsync");

        checkpoint = await ApplyAndSaveAsync(repository, checkpoint, new StatusChanged(4, CheckpointSamples.At(32), CheckpointStatus.Paused));
        await ShouldLoadAsync(repository, checkpoint, "after a change following compaction");

        var unknown = NewCardId("compact-unknown");
        await repository.CompactAsync(unknown);
        (await repository.ExistsAsync(unknown)).Should().BeFalse();
    }

    /// <summary>An operation whose token is already cancelled throws <see cref="OperationCanceledException"/> and writes nothing.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Writes_WithCancelledToken_ThrowAndWriteNothing()
    {
        var repository = await OpenRepositoryAsync();
        var checkpoint = CheckpointSamples.Minimal(NewCardId("cancelled"));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await FluentActions.Awaiting(() => repository.SaveAsync(checkpoint, cancelled.Token)).Should().ThrowAsync<OperationCanceledException>();
        (await repository.ExistsAsync(checkpoint.CardId)).Should().BeFalse();

        await repository.SaveAsync(checkpoint);
        var change = new CurrentStageSet(2, CheckpointSamples.At(5), "never");
        await FluentActions.Awaiting(() => repository.SaveChangeAsync(new AppliedChange(checkpoint, change), cancelled.Token))
            .Should().ThrowAsync<OperationCanceledException>();
        await ShouldLoadAsync(repository, checkpoint, "after a cancelled SaveChangeAsync");
    }
}
