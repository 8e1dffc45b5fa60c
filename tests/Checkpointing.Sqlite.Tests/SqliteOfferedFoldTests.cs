using System.Collections.Concurrent;
using Checkpointing.Testing;
using FluentAssertions;
using Xunit;
using static Checkpointing.Tests.Support.FoldCards;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// A background fold of a card this repository owns starts from the state the save offered instead of reading the
/// document back, and stores what a read would have given; without ownership, or when the document was replaced since
/// the offer, it reads.
/// </summary>
public sealed class SqliteOfferedFoldTests : SqliteTestBase
{
    private const string ReadingTheDocument = "reading the document";
    private const string CheckingTheOffer = "checking the offered state";
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task OwnedCard_BackgroundFolds_StartFromTheSavedState_AndStoreWhatAReadGives()
    {
        var phases = new ConcurrentQueue<string>();
        var repository = Open(Options(phases));
        PipelineCheckpoint checkpoint;
        await using (await repository.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero))
        {
            checkpoint = CheckpointSamples.Minimal("CARD-1");
            await repository.SaveAsync(checkpoint);
            for (var i = 0; i < 20; i++)
            {
                checkpoint = await SaveResponseAsync(repository, checkpoint, $"prompt {i}");

                // One fold at a time, each requested by the save before it: every one has that save's offer to start from.
                await repository.WhenFoldIdleAsync("CARD-1").WaitAsync(HangGuard);
            }
        }

        phases.Should().Contain(CheckingTheOffer).And.NotContain(ReadingTheDocument, "every fold started from the state its save offered");
        phases.Count(phase => phase == "switching: committing").Should().BeGreaterThan(3, "several folds switched in");
        Raw.Scalar(Database.Path, "SELECT document_chunks FROM checkpoints").Should().BeGreaterThan(0);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint, "the folded document and the change rows after it give every save");
    }

    [Fact]
    public async Task SavesDuringAFold_OfferAStateTheNextFoldStartsFrom_OnTheNewDocument()
    {
        var phases = new ConcurrentQueue<string>();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Options(phases);
        options.AfterFoldChunk = async (_, chunk, cancellationToken) =>
        {
            if (chunk == 1 && held.TrySetResult())
            {
                await release.Task.WaitAsync(cancellationToken);
            }
        };
        var repository = Open(options);
        await using (await repository.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero))
        {
            var checkpoint = CheckpointSamples.Minimal("CARD-1");
            await repository.SaveAsync(checkpoint);
            checkpoint = await SaveResponseAsync(repository, checkpoint, "starts the fold");
            await held.Task.WaitAsync(HangGuard);
            try
            {
                for (var i = 0; i < 5; i++)
                {
                    // Change rows on the document the held fold replaces; each offers its state and asks for another fold.
                    checkpoint = await SaveResponseAsync(repository, checkpoint, $"during the fold {i}");
                }
            }
            finally
            {
                release.TrySetResult();
            }

            await repository.WhenFoldIdleAsync("CARD-1").WaitAsync(HangGuard);
            phases.Count(phase => phase == "switching: committing").Should().Be(2, "the held fold, then one for the saves made during it");
            phases.Should().NotContain(ReadingTheDocument, "the second fold starts from the last save's state, moved onto the first fold's document");
            Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes").Should().Be(0);
            Raw.Scalar(Database.Path, "SELECT change_bytes + change_count FROM checkpoints").Should().Be(0, "the counters of the moved offer were right");
            (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
        }
    }

    [Fact]
    public async Task UnownedCard_BackgroundFolds_ReadTheCard()
    {
        var phases = new ConcurrentQueue<string>();
        var repository = Open(Options(phases));
        var checkpoint = CheckpointSamples.Minimal("CARD-1");
        await repository.SaveAsync(checkpoint);
        for (var i = 0; i < 5; i++)
        {
            checkpoint = await SaveResponseAsync(repository, checkpoint, $"prompt {i}");
            await repository.WhenFoldIdleAsync("CARD-1").WaitAsync(HangGuard);
        }

        phases.Should().Contain(ReadingTheDocument, "without ownership another writer may have stored a state under the save's change").And.NotContain(CheckingTheOffer);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task AnOffer_OfADocumentReplacedSince_IsNotSerialized()
    {
        var phases = new ConcurrentQueue<string>();
        using var checking = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var options = Options(phases);
        var record = options.BackgroundActivity!;
        options.BackgroundActivity = (work, phase) =>
        {
            record(work, phase);
            if (phase == CheckingTheOffer && !checking.IsSet)
            {
                // The first fold holds here, after taking the offer and before looking at the card (a background thread).
                checking.Set();
                release.Wait(HangGuard);
            }
        };
        var repository = Open(options);
        await using (await repository.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero))
        {
            var checkpoint = CheckpointSamples.Minimal("CARD-1");
            await repository.SaveAsync(checkpoint);
            await SaveResponseAsync(repository, checkpoint, "due at once");
            checking.Wait(HangGuard).Should().BeTrue("the save's fold starts from its offer");

            var whole = CheckpointSamples.Checkpoint("CARD-1", 3);
            try
            {
                await repository.SaveAsync(whole); // replaces the document the offer's change row belongs to
            }
            finally
            {
                release.Set();
            }

            await repository.WhenFoldIdleAsync("CARD-1").WaitAsync(HangGuard);
            phases.Should().NotContain("serializing", "the offered state is older than the whole save").And.NotContain("deleting the abandoned generation");
            Raw.Scalar(Database.Path, "SELECT document_chunks FROM checkpoints").Should().Be(0, "the whole save's document stays");
            (await Open().LoadAsync("CARD-1")).ShouldMatch(whole);
        }
    }

    /// <summary>Folds after every change row, in small chunks, recording the fold's phases.</summary>
    private static SqliteCheckpointRepositoryOptions Options(ConcurrentQueue<string> phases) => new()
    {
        CompactionBytesOverride = 1,
        FoldChunkBytes = 256,
        BackgroundActivity = (work, phase) =>
        {
            if (work == "fold")
            {
                phases.Enqueue(phase);
            }
        },
    };
}
