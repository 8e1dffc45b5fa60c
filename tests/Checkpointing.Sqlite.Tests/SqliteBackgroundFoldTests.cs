using Checkpointing.Testing;
using FluentAssertions;
using Xunit;
using static Checkpointing.Tests.Support.FoldCards;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// Folds of change rows into a new document run off the saver's path, in chunks over short transactions: a save never
/// waits for one, and every step a fold can stop at (between chunks, replaced document, lost ownership) leaves a state
/// the next owner reads whole and finishes.
/// </summary>
public sealed class SqliteBackgroundFoldTests : SqliteTestBase
{
    /// <summary>Guards against a hang only (a save waiting for the held fold would never finish); nothing is timed.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Saves_CompleteWhileABackgroundFoldIsHeldBetweenChunks()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var repository = Open(FoldingOptions(async (_, chunk, cancellationToken) =>
        {
            if (chunk == 1 && held.TrySetResult())
            {
                await release.Task.WaitAsync(cancellationToken);
            }
        }));
        var checkpoint = CheckpointSamples.Minimal("CARD-1");
        try
        {
            await repository.SaveAsync(checkpoint);
            // Save until the change rows outgrow the document: that save starts a background fold, which then holds.
            for (var i = 0; Raw.Scalar(Database.Path, "SELECT change_bytes > document_bytes FROM checkpoints") == 0; i++)
            {
                checkpoint = await SaveResponseAsync(repository, checkpoint, $"before {i}");
            }

            await held.Task.WaitAsync(HangGuard);

            // The fold has written its first chunk and waits; the saves below must not wait for it.
            for (var i = 0; i < 30; i++)
            {
                checkpoint = await SaveResponseAsync(repository, checkpoint, $"during {i}").WaitAsync(HangGuard);
            }

            release.Task.IsCompleted.Should().BeFalse("every save above returned while the fold was still held");
            Raw.StrayChunks(Database.Path, "CARD-1").Should().BeGreaterThan(0, "the held fold's first chunk is written and not switched in");
            (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint, "a reader sees every save while the fold runs");
        }
        finally
        {
            // A failed assertion must not leave the fold held: dispose waits for it.
            release.TrySetResult();
        }

        await repository.CompactAsync("CARD-1");

        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes").Should().Be(0, "CompactAsync waited for the fold and folded what came after it");
        Raw.StrayChunks(Database.Path, "CARD-1").Should().Be(0);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_documents").Should().Be(0);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task FoldStoppedBetweenChunks_LeavesEveryChange_AndTheNextOwnerFinishesIt()
    {
        var first = Open(FoldingOptions((_, chunk, _) => chunk == 2 ? throw new IOException("the fold stops here (as if the process died)") : Task.CompletedTask));
        await using (var ownership = await first.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero))
        {
            var checkpoint = await SaveManyAsync(first, "CARD-1", 20);
            await first.WhenFoldIdleAsync("CARD-1");
            Raw.StrayChunks(Database.Path, "CARD-1").Should().BeGreaterThanOrEqualTo(2, "each stopped fold wrote two chunks and never switched");
            Raw.Scalar(Database.Path, "SELECT document_chunks FROM checkpoints").Should().Be(0, "the card still has its first document");
            (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
            await FluentActions.Awaiting(() => first.CompactAsync("CARD-1")).Should().ThrowAsync<IOException>("an explicit compaction reports its failure");
        }

        await first.DisposeAsync();

        var next = Open(new SqliteCheckpointRepositoryOptions { MinCompactionBytes = 0, FoldChunkBytes = 128 });
        await using var nextOwnership = await next.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        var loaded = (await next.LoadAsync("CARD-1"))!;
        loaded.Version.Should().Be(21);
        await next.CompactAsync("CARD-1");

        Raw.StrayChunks(Database.Path, "CARD-1").Should().Be(0, "the next fold's switch removes what the stopped ones left");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes").Should().Be(0);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(loaded);
    }

    [Fact]
    public async Task DocumentReplacedDuringAFold_TheFoldIsDropped_AndTheWholeSaveStands()
    {
        SqliteCheckpointRepository? repository = null;
        PipelineCheckpoint? replacement = null;
        var armed = false;
        repository = Open(FoldingOptions(async (cardId, chunk, cancellationToken) =>
        {
            if (armed && chunk == 1 && replacement is null)
            {
                var stored = (await repository!.LoadAsync(cardId, cancellationToken))!;
                replacement = CheckpointSamples.Checkpoint(cardId, stored.Version + 1);
                await repository.SaveAsync(replacement, cancellationToken);
            }
        }));
        var checkpoint = await SaveManyAsync(repository, "CARD-1", 20);
        await repository.WhenFoldIdleAsync("CARD-1");
        armed = true;
        await SaveResponseAsync(repository, checkpoint, "the last change");

        await repository.CompactAsync("CARD-1");

        replacement.Should().NotBeNull("a fold ran and a whole save replaced the document while it wrote chunks");
        (await Open().LoadAsync("CARD-1")).ShouldMatch(replacement!, "the fold of the old document must not overwrite the whole save");
        Raw.StrayChunks(Database.Path, "CARD-1").Should().Be(0, "the whole save removed every chunk, and the dropped fold removed its own");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_document_chunks").Should().Be(0);
    }

    [Fact]
    public async Task OwnershipTakenDuringAFold_TheFoldIsRefused_AndTheOwnerKeepsItsState()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var unowned = Open(FoldingOptions(async (_, chunk, cancellationToken) =>
        {
            if (chunk == 1 && held.TrySetResult())
            {
                await release.Task.WaitAsync(cancellationToken);
            }
        }));
        var checkpoint = await SaveManyAsync(unowned, "CARD-1", 20);
        await held.Task.WaitAsync(HangGuard);

        var owner = Open();
        CheckpointOwnership ownership;
        AppliedChange applied;
        try
        {
            ownership = await owner.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
            applied = new AppliedChange(checkpoint, new CurrentStageSet(checkpoint.Version + 1, CheckpointSamples.At(500), "owner's stage"));
            await owner.SaveChangeAsync(applied);
        }
        finally
        {
            // A failure above must not leave the fold held: dispose waits for it.
            release.TrySetResult();
        }

        await using var owned = ownership;
        await unowned.WhenFoldIdleAsync("CARD-1");

        Raw.Scalar(Database.Path, "SELECT document_chunks FROM checkpoints").Should().Be(0, "the fold of a writer that lost the card is refused at the switch");
        (await owner.LoadAsync("CARD-1")).ShouldMatch(applied.Checkpoint);
        await owner.CompactAsync("CARD-1");
        Raw.StrayChunks(Database.Path, "CARD-1").Should().Be(0);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(applied.Checkpoint);
    }

    [Fact]
    public async Task Dispose_WaitsForTheRunningFold_AndLeavesACompactedDocument()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var repository = new SqliteCheckpointRepository(Database.Path, FoldingOptions(async (_, chunk, cancellationToken) =>
        {
            if (chunk == 1)
            {
                await release.Task.WaitAsync(cancellationToken);
            }
        }));
        var checkpoint = await SaveManyAsync(repository, "CARD-1", 20);

        var dispose = repository.DisposeAsync().AsTask();
        dispose.IsCompleted.Should().BeFalse("a fold is held, and dispose waits for it");
        release.SetResult();
        await dispose.WaitAsync(HangGuard);

        Raw.Scalar(Database.Path, "SELECT document_chunks FROM checkpoints").Should().BeGreaterThan(0);
        Raw.StrayChunks(Database.Path, "CARD-1").Should().Be(0);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task WholeSaveAndDelete_RemoveChunkedDocuments()
    {
        var repository = Open(new SqliteCheckpointRepositoryOptions { MinCompactionBytes = 0, FoldChunkBytes = 64 });
        await SaveManyAsync(repository, "CARD-1", 5);
        await repository.CompactAsync("CARD-1");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_document_chunks").Should().BeGreaterThan(1);

        var whole = CheckpointSamples.Checkpoint("CARD-1", 7);
        await repository.SaveAsync(whole);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_document_chunks").Should().Be(0);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(whole);

        await SaveManyAsync(repository, "CARD-2", 5);
        await repository.CompactAsync("CARD-2");
        (await repository.DeleteAsync("CARD-2")).Should().BeTrue();
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_document_chunks").Should().Be(0);
    }

    [Fact]
    public async Task CompactWithNothingToFold_OfACardAnotherOwnerHolds_IsRefused()
    {
        var owner = Open();
        await owner.SaveAsync(CheckpointSamples.Minimal("CARD-1"));
        await using var ownership = await owner.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);

        await FluentActions.Awaiting(() => Open().CompactAsync("CARD-1")).Should().ThrowAsync<CheckpointLockedException>("a compaction is a write, as before folds moved off the save path");
        await owner.CompactAsync("CARD-1");
    }

    [Fact]
    public async Task ChunkedDocumentWithAMissingChunk_IsReportedCorrupted()
    {
        var repository = Open(new SqliteCheckpointRepositoryOptions { MinCompactionBytes = 0, FoldChunkBytes = 64 });
        await SaveManyAsync(repository, "CARD-1", 5);
        await repository.CompactAsync("CARD-1");

        Raw.Execute(Database.Path, "DELETE FROM checkpoint_document_chunks WHERE chunk = 1");

        var error = (await FluentActions.Awaiting(() => Open().LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointCorruptedException>()).Which;
        error.Message.Should().Contain("chunk");
    }

    private static SqliteCheckpointRepositoryOptions FoldingOptions(Func<string, int, CancellationToken, Task> afterChunk) =>
        new() { MinCompactionBytes = 0, FoldChunkBytes = 128, AfterFoldChunk = afterChunk };
}
