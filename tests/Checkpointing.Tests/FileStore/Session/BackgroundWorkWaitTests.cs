using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Session;

/// <summary>
/// What runs beside a background compaction, with that work held back until the test lets it run: delete, an explicit
/// compaction and a whole save wait for it (else it would bring back or overwrite what they wrote); a waiting caller
/// makes the successor's zero-filling stop early, and only that once; a fold left to itself prepares the next successor.
/// </summary>
public sealed class BackgroundWorkWaitTests : IAsyncDisposable
{
    private const long Threshold = 1000;
    private readonly TempDirectory _temp = new();
    private readonly HeldBackground _background = new();
    private readonly SessionHarness _card;

    public BackgroundWorkWaitTests()
    {
        _card = SessionHarness.Open(
            _temp.Path, new FileSystemCheckpointRepositoryOptions { CompactionBytesOverride = Threshold }, new RecordingLoggerFactory().CreateLogger("test"), _background.Start);
    }

    private CardPaths Paths => _card.Paths;

    private static long PreparedSuccessorLength => JournalFormat.HeaderSize + (Threshold * 5 / 2);

    public async ValueTask DisposeAsync()
    {
        await _background.RunAsync();
        await _card.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Delete_WaitsForTheFold_SoThatItLeavesNoFileBehind()
    {
        await _card.StartHeldFoldAsync(Threshold, _background);

        var delete = _card.Session.DeleteAsync();
        await _background.RunAsync();
        (await delete).Should().BeTrue();

        File.Exists(Paths.Snapshot).Should().BeFalse("a fold finishing after the delete would bring the card back");
        File.Exists(Paths.Journal).Should().BeFalse();
        File.Exists(Paths.Successor).Should().BeFalse();
    }

    [Fact]
    public async Task ExplicitCompaction_WaitsForTheFold_ThenFoldsTheAppendsMadeSince()
    {
        await _card.StartHeldFoldAsync(Threshold, _background);
        await _card.AppendAsync();

        var compact = _card.CompactAsync();
        await _background.RunAsync();
        await compact;
        await _card.DisposeAsync();

        StoredSnapshot().Checkpoint.Version.Should().Be(_card.Checkpoint.Version);
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(SessionHarness.CardId)).Should().BeEquivalentTo(_card.Checkpoint);
    }

    [Fact]
    public async Task WholeSave_WaitsForTheFold_SoThatTheFoldCannotOverwriteIt()
    {
        await _card.StartHeldFoldAsync(Threshold, _background);
        var whole = _card.Checkpoint with { Version = _card.Checkpoint.Version + 1, Status = CheckpointStatus.Paused };

        var save = _card.SaveWholeAsync(whole);
        await _background.RunAsync();
        await save;
        await _card.DisposeAsync();

        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(SessionHarness.CardId)).Should().BeEquivalentTo(whole);
    }

    [Fact]
    public async Task AFoldLeftToItself_PreparesTheNextSuccessor_ZeroFilled()
    {
        await _card.StartHeldFoldAsync(Threshold, _background);

        await _background.RunAsync();

        StoredSnapshot().JournalId.Should().Be(JournalFormat.ReadHeader(File.ReadAllBytes(Paths.Journal), Paths.Journal));
        new FileInfo(Paths.Successor).Length.Should().Be(PreparedSuccessorLength, "2.5 times the threshold is zero-filled ahead of the next switch");
    }

    [Fact]
    public async Task ACallerWaiting_StopsTheZeroFill_AndTheNextPreparationFillsAgain()
    {
        await _card.SaveWholeAsync();
        await _card.AppendPastAsync(Threshold);
        _background.Started.Should().Be(1, "crossing the threshold starts preparing a successor");

        var compact = _card.CompactAsync();
        await _background.RunAsync();
        await compact;

        new FileInfo(Paths.Journal).Length.Should().Be(
            JournalFormat.HeaderSize, "a caller waited for the preparation, so it stopped before zero-filling, and the compaction took that successor as the journal");

        await _card.AppendPastAsync(Threshold);
        _background.Started.Should().Be(2);
        await _background.RunAsync();
        new FileInfo(Paths.Successor).Length.Should().Be(PreparedSuccessorLength, "no caller waits for this one");
    }

    private SnapshotDocument StoredSnapshot() =>
        CheckpointJsonReader.ReadSnapshot(File.ReadAllBytes(Paths.Snapshot), new JsonReadContext(Paths.Snapshot));
}
