using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Testing;

public abstract partial class CheckpointRepositoryConformanceTests
{
    /// <summary>While one repository owns a card, another fails at once with a zero timeout; once the owner lets go it succeeds.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task AcquireOwnership_WhileHeld_OtherRepositoryFailsAtOnce_ThenSucceedsAfterRelease()
    {
        var owner = await OpenRepositoryAsync();
        var other = await OpenRepositoryAsync();
        var cardId = NewCardId("owned");

        var ownership = await owner.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        var watch = Stopwatch.StartNew();
        var locked = (await FluentActions.Awaiting(() => other.AcquireOwnershipAsync(cardId, TimeSpan.Zero))
            .Should().ThrowAsync<CheckpointLockedException>()).Which;
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "a zero timeout fails at once");
        locked.CardId.Should().Be(cardId);

        await ownership.DisposeAsync();
        await ownership.DisposeAsync();

        var second = await other.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        await FluentActions.Awaiting(() => owner.AcquireOwnershipAsync(cardId, TimeSpan.Zero)).Should().ThrowAsync<CheckpointLockedException>();
        await second.DisposeAsync();
    }

    /// <summary>Ownership is exclusive even within one repository: a second acquisition waits for the first to be released.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task AcquireOwnership_TwiceOnSameRepository_SecondIsRefused()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("owned-twice");

        var first = await repository.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync(cardId, TimeSpan.Zero)).Should().ThrowAsync<CheckpointLockedException>();
        await first.DisposeAsync();

        await using var again = await repository.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
    }

    /// <summary>Owning one card does not block another.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task AcquireOwnership_DifferentCards_AreIndependent()
    {
        var first = await OpenRepositoryAsync();
        var second = await OpenRepositoryAsync();

        await using var a = await first.AcquireOwnershipAsync(NewCardId("card-a"), TimeSpan.Zero);
        await using var b = await second.AcquireOwnershipAsync(NewCardId("card-b"), TimeSpan.Zero);
    }

    /// <summary>An acquisition with a timeout waits for the owner to let go, and gets the card as soon as it does.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task AcquireOwnership_WithTimeout_WaitsForRelease()
    {
        var owner = await OpenRepositoryAsync();
        var waiter = await OpenRepositoryAsync();
        var cardId = NewCardId("wait");
        var ownership = await owner.AcquireOwnershipAsync(cardId, TimeSpan.Zero);

        var watch = Stopwatch.StartNew();
        var waiting = waiter.AcquireOwnershipAsync(cardId, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        waiting.IsCompleted.Should().BeFalse("the owner still holds the card");
        await ownership.DisposeAsync();
        await using var acquired = await waiting;

        watch.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)).And.BeLessThan(TimeSpan.FromSeconds(20));
        Log($"waited {watch.Elapsed.TotalMilliseconds:0} ms for a release after 300 ms");
    }

    /// <summary>An acquisition whose timeout passes while the owner holds on fails with <see cref="CheckpointLockedException"/>, not sooner.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task AcquireOwnership_TimeoutPasses_ThrowsLockedAfterWaiting()
    {
        var owner = await OpenRepositoryAsync();
        var waiter = await OpenRepositoryAsync();
        var cardId = NewCardId("timeout");
        await using var ownership = await owner.AcquireOwnershipAsync(cardId, TimeSpan.Zero);

        var watch = Stopwatch.StartNew();
        await FluentActions.Awaiting(() => waiter.AcquireOwnershipAsync(cardId, TimeSpan.FromMilliseconds(400)))
            .Should().ThrowAsync<CheckpointLockedException>();

        watch.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(350)).And.BeLessThan(TimeSpan.FromSeconds(20));
    }

    /// <summary>Cancelling a wait for ownership ends it with <see cref="OperationCanceledException"/> and leaves the owner in place.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task AcquireOwnership_CancelledWhileWaiting_ThrowsOperationCanceled()
    {
        var owner = await OpenRepositoryAsync();
        var waiter = await OpenRepositoryAsync();
        var cardId = NewCardId("cancel-wait");
        var ownership = await owner.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await FluentActions.Awaiting(() => waiter.AcquireOwnershipAsync(cardId, TimeSpan.FromSeconds(30), cancellation.Token))
            .Should().ThrowAsync<OperationCanceledException>();

        await FluentActions.Awaiting(() => waiter.AcquireOwnershipAsync(cardId, TimeSpan.Zero)).Should().ThrowAsync<CheckpointLockedException>();
        await ownership.DisposeAsync();
        await using var acquired = await waiter.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
    }

    /// <summary>
    /// The owner writes freely while a second repository (another process) is refused with
    /// <see cref="CheckpointLockedException"/> for every write and writes nothing, though it can read; after the release it
    /// can write. Reported as skipped when <see cref="RepositoriesAreSeparateOwners"/> is <see langword="false"/>.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [ConformanceFact]
    public async Task Writes_ByNonOwnerWhileOwned_AreRefusedWithLocked()
    {
        NotApplicableUnless(RepositoriesAreSeparateOwners, "two repositories of this store share one owner (RepositoriesAreSeparateOwners is false)");

        var owner = await OpenRepositoryAsync();
        var other = await OpenRepositoryAsync();
        var cardId = NewCardId("fenced");
        var ownership = await owner.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        var checkpoint = CheckpointSamples.Checkpoint(cardId);
        await owner.SaveAsync(checkpoint);
        checkpoint = await ApplyAndSaveAsync(owner, checkpoint, new CurrentStageSet(2, CheckpointSamples.At(20), "owner"));

        var intruder = new CurrentStageSet(3, CheckpointSamples.At(21), "intruder");
        await FluentActions.Awaiting(() => other.SaveChangeAsync(new AppliedChange(checkpoint, intruder))).Should().ThrowAsync<CheckpointLockedException>();
        await FluentActions.Awaiting(() => other.SaveAsync(CheckpointSamples.Minimal(cardId, 3))).Should().ThrowAsync<CheckpointLockedException>();
        await FluentActions.Awaiting(() => other.DeleteAsync(cardId)).Should().ThrowAsync<CheckpointLockedException>();
        (await other.LoadAsync(cardId)).ShouldMatch(checkpoint, "a non-owner can read");

        checkpoint = await ApplyAndSaveAsync(owner, checkpoint, new CurrentStageSet(3, CheckpointSamples.At(22), "owner again"));
        await ShouldLoadAsync(owner, checkpoint, "after the non-owner's writes were refused");
        await ownership.DisposeAsync();

        checkpoint = await ApplyAndSaveAsync(other, checkpoint, new CurrentStageSet(4, CheckpointSamples.At(23), "after release"));
        await ShouldLoadAsync(other, checkpoint, "after the owner let go");
    }
}
