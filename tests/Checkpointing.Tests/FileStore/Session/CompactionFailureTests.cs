using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Checkpointing.Tests.FileStore.Session;

/// <summary>
/// A compaction that cannot write (here: a directory stands where its file must go) is logged and costs nothing saved:
/// a background fold is retried on the next append or done by an explicit compaction, a background preparation and a
/// compaction on dispose are logged, and a whole save that fails leaves no temporary file.
/// </summary>
public sealed class CompactionFailureTests : IAsyncDisposable
{
    private const long Threshold = 1000;
    private const string Failed = "compaction after a durable change failed";
    private readonly TempDirectory _temp = new();
    private readonly RecordingLoggerFactory _log = new();
    private readonly HeldBackground _background = new();
    private readonly SessionHarness _card;

    public CompactionFailureTests()
    {
        _card = SessionHarness.Open(
            _temp.Path, new FileSystemCheckpointRepositoryOptions { CompactionBytesOverride = Threshold }, _log.CreateLogger("test"), _background.Start);
    }

    private CardPaths Paths => _card.Paths;

    private int FailuresLogged => _log.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains(Failed, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await _background.RunAsync();
        await _card.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task FailedBackgroundFold_IsLogged_AndRetriedOnTheNextAppend()
    {
        var folded = await _card.StartHeldFoldAsync(Threshold, _background);
        Block(Paths.Snapshot);

        await _background.RunAsync();
        FailuresLogged.Should().Be(1);

        Unblock(Paths.Snapshot);
        await _card.AppendAsync();
        _background.Started.Should().Be(3, "the append retries the fold");
        await _background.RunAsync();

        StoredSnapshot().Checkpoint.Should().BeEquivalentTo(folded);
        await _card.DisposeAsync();
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(SessionHarness.CardId)).Should().BeEquivalentTo(_card.Checkpoint);
    }

    [Fact]
    public async Task FailedBackgroundFold_IsWrittenByAnExplicitCompaction()
    {
        var folded = await _card.StartHeldFoldAsync(Threshold, _background);
        Block(Paths.Snapshot);
        await _background.RunAsync();
        Unblock(Paths.Snapshot);

        await _card.CompactAsync();

        var snapshot = StoredSnapshot();
        snapshot.Checkpoint.Should().BeEquivalentTo(folded, "no append came after the switch: the pending fold is all there is to write");
        snapshot.JournalId.Should().Be(JournalFormat.ReadHeader(File.ReadAllBytes(Paths.Journal), Paths.Journal));
    }

    [Fact]
    public async Task FailedPreparation_IsLogged_AndSoIsTheCompactionOnDispose()
    {
        await _card.SaveWholeAsync();
        Block(Paths.Successor);
        await _card.AppendPastAsync(Threshold);

        await _background.RunAsync();
        FailuresLogged.Should().Be(1);

        await FluentActions.Awaiting(() => _card.DisposeAsync().AsTask()).Should().NotThrowAsync("every change is durable in the journal");
        FailuresLogged.Should().Be(2, "dispose makes the due compaction, which fails the same way");
        Unblock(Paths.Successor);
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(SessionHarness.CardId)).Should().BeEquivalentTo(_card.Checkpoint);
    }

    [Fact]
    public async Task FailedWholeSave_LeavesNoTemporaryFile()
    {
        await _card.SaveWholeAsync();
        Block(Paths.Snapshot);

        await FluentActions.Awaiting(() => _card.SaveWholeAsync(_card.Checkpoint with { Version = 2 })).Should().ThrowAsync<IOException>();

        Directory.GetFiles(_temp.Path).Select(Path.GetFileName).Should().BeEquivalentTo([Path.GetFileName(Paths.Lock), Path.GetFileName(Paths.Journal)]);
    }

    /// <summary>Puts a directory (not empty) where <paramref name="file"/> must go, so that renaming a file there fails.</summary>
    private static void Block(string file)
    {
        File.Delete(file);
        Directory.CreateDirectory(file);
        File.WriteAllText(Path.Combine(file, "in-the-way"), "x");
    }

    private static void Unblock(string file) => Directory.Delete(file, recursive: true);

    private SnapshotDocument StoredSnapshot() =>
        CheckpointJsonReader.ReadSnapshot(File.ReadAllBytes(Paths.Snapshot), new JsonReadContext(Paths.Snapshot));
}
