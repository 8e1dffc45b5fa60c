using Checkpointing.Testing;
using FluentAssertions;
using Xunit;
using static Checkpointing.Tests.Support.FoldCards;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// After its switch a fold deletes the document it replaced a few chunks per short transaction; a fold stopped there
/// leaves rows no card names, which readers ignore and the next fold or compaction removes.
/// </summary>
public sealed class SqliteFoldCleanupTests : SqliteTestBase
{
    [Fact]
    public async Task FoldStoppedAfterItsSwitch_LeavesTheOldDocument_WhichReadersIgnoreAndTheNextCompactionRemoves()
    {
        var stopAfterSwitch = true;
        var options = new SqliteCheckpointRepositoryOptions
        {
            MinCompactionBytes = long.MaxValue, // only the explicit compactions below fold: no background fold races them
            FoldChunkBytes = 64,
            BackgroundActivity = (work, phase) =>
            {
                if (work == "fold" && phase == "deleting the old document" && Volatile.Read(ref stopAfterSwitch))
                {
                    throw new IOException("the fold stops here (as if the process died after the switch)");
                }
            },
        };
        var repository = Open(options);
        var checkpoint = await SaveManyAsync(repository, "CARD-1", 5);
        await FluentActions.Awaiting(() => repository.CompactAsync("CARD-1")).Should().ThrowAsync<IOException>();
        var first = Raw.Scalar(Database.Path, "SELECT document_id FROM checkpoints");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_documents").Should().Be(1, "the whole save's document is left to the cleanup that stopped");

        checkpoint = await SaveResponseAsync(repository, checkpoint, "after the first fold");
        await FluentActions.Awaiting(() => repository.CompactAsync("CARD-1")).Should().ThrowAsync<IOException>();
        Raw.StrayGenerations(Database.Path, "CARD-1").Should().Equal([first], "the second fold switched, and left the first fold's chunks");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes").Should().Be(0, "the switch deletes the folded change rows itself");
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint, "a reader reads only the document the card names");

        Volatile.Write(ref stopAfterSwitch, false);
        await repository.CompactAsync("CARD-1"); // nothing to fold: it still removes what the stopped folds left

        Raw.StrayChunks(Database.Path, "CARD-1").Should().Be(0);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_documents").Should().Be(0);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_document_chunks").Should().BeGreaterThan(8, "the current document is left whole (and spans more than one delete batch)");
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }
}
