using FluentAssertions;
using Xunit;

namespace Checkpointing.Testing;

public abstract partial class CheckpointRepositoryConformanceTests
{
    /// <summary>
    /// Gets a value indicating whether the store implements <see cref="ICheckpointRepository.ImportAsync"/> (copying runs
    /// into it). A store that does not must throw <see cref="NotSupportedException"/>, which the tests then check instead.
    /// </summary>
    protected virtual bool SupportsImport => true;

    /// <summary>A run imported into a store that lacks the card is stored at its own version, content unchanged, and can go on.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Import_IntoStoreWithoutTheCard_KeepsVersionAndContent_AndTheRunGoesOn()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("import");
        var run = CheckpointSamples.Checkpoint(cardId, version: 7);
        if (!await ImportOrCheckUnsupportedAsync(repository, run, null))
        {
            return;
        }

        await ShouldLoadAsync(repository, run, "after an import at version 7");
        (await repository.ExistsAsync(cardId)).Should().BeTrue();
        var next = await ApplyAndSaveAsync(repository, run, new CurrentStageSet(8, CheckpointSamples.At(30), "after import"));
        await ShouldLoadAsync(repository, next, "after a change made on top of the imported run");
    }

    /// <summary>A run at version 0 (a file of the Python manager) imports as version 0, and its first change is version 1.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Import_VersionZero_IsStoredAsVersionZero()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("import-v0");
        var run = CheckpointSamples.Checkpoint(cardId, version: 0);
        if (!await ImportOrCheckUnsupportedAsync(repository, run, null))
        {
            return;
        }

        await ShouldLoadAsync(repository, run, "after an import at version 0");
        var next = await ApplyAndSaveAsync(repository, run, new CurrentStageSet(1, CheckpointSamples.At(30), "first change"));
        await ShouldLoadAsync(repository, next, "after the first change of an imported version-0 run");
    }

    /// <summary>An import that expects no card is refused when one is stored (any version, 0 included), and writes nothing.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Import_ExpectingNoCard_WhenOneIsStored_ThrowsConflictAndWritesNothing()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("import-refused");
        var stored = CheckpointSamples.Checkpoint(cardId, version: 0);
        if (!await ImportOrCheckUnsupportedAsync(repository, stored, null))
        {
            return;
        }

        var conflict = (await FluentActions.Awaiting(() => repository.ImportAsync(CheckpointSamples.Minimal(cardId, 9), null))
            .Should().ThrowAsync<CheckpointConflictException>()).Which;

        conflict.CardId.Should().Be(cardId);
        conflict.StoredVersion.Should().Be(0);
        conflict.AttemptedVersion.Should().Be(9);
        await ShouldLoadAsync(repository, stored, "after a refused import");
    }

    /// <summary>
    /// An import that names the stored version replaces the run whole, changes recorded after its document included; one
    /// that names a stale version is refused and writes nothing.
    /// </summary>
    /// <returns>A task that completes when the test is done.</returns>
    [Fact]
    public async Task Import_ExpectingTheStoredVersion_ReplacesTheWholeRun_AndAStaleExpectationIsRefused()
    {
        var repository = await OpenRepositoryAsync();
        var cardId = NewCardId("import-replace");
        var original = CheckpointSamples.Checkpoint(cardId);
        await repository.SaveAsync(original);
        var stored = await ApplyAndSaveAsync(repository, original, new CurrentStageSet(2, CheckpointSamples.At(20), "recorded as a change"));
        var replacement = CheckpointSamples.Minimal(cardId, version: 5) with { CheckpointId = "replacement" };
        if (!await ImportOrCheckUnsupportedAsync(repository, replacement, stored.Version))
        {
            return;
        }

        await ShouldLoadAsync(repository, replacement, "after replacing version 2 by an import at version 5");
        var conflict = (await FluentActions.Awaiting(() => repository.ImportAsync(CheckpointSamples.Minimal(cardId, 6), stored.Version))
            .Should().ThrowAsync<CheckpointConflictException>()).Which;
        conflict.StoredVersion.Should().Be(5);
        await ShouldLoadAsync(repository, replacement, "after an import against a stale version was refused");
    }

    /// <summary>While another repository owns the card, an import is refused with <see cref="CheckpointLockedException"/>.</summary>
    /// <returns>A task that completes when the test is done.</returns>
    [ConformanceFact]
    public async Task Import_WhileAnotherOwnsTheCard_IsRefusedWithLocked()
    {
        NotApplicableUnless(RepositoriesAreSeparateOwners, "two repositories of this store share one owner (RepositoriesAreSeparateOwners is false)");
        NotApplicableUnless(SupportsImport, "the store does not implement ImportAsync (SupportsImport is false)");

        var owner = await OpenRepositoryAsync();
        var other = await OpenRepositoryAsync();
        var cardId = NewCardId("import-owned");
        await using (await owner.AcquireOwnershipAsync(cardId, TimeSpan.Zero))
        {
            await FluentActions.Awaiting(() => other.ImportAsync(CheckpointSamples.Checkpoint(cardId, 3), null))
                .Should().ThrowAsync<CheckpointLockedException>();
            (await other.ExistsAsync(cardId)).Should().BeFalse();
        }

        await other.ImportAsync(CheckpointSamples.Checkpoint(cardId, 3), null);
        await ShouldLoadAsync(other, CheckpointSamples.Checkpoint(cardId, 3), "after the owner let go");
    }

    /// <summary>Imports, or checks that a store without import support says so and stores nothing.</summary>
    /// <returns><see langword="true"/> when the import was made and the test goes on.</returns>
    private async Task<bool> ImportOrCheckUnsupportedAsync(ICheckpointRepository repository, PipelineCheckpoint checkpoint, long? expectedStoredVersion)
    {
        if (SupportsImport)
        {
            await repository.ImportAsync(checkpoint, expectedStoredVersion);
            return true;
        }

        await FluentActions.Awaiting(() => repository.ImportAsync(checkpoint, expectedStoredVersion)).Should().ThrowAsync<NotSupportedException>();
        return false;
    }
}
