using System.Buffers;
using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Session;

/// <summary>
/// What the owner's session reads and repairs when it opens a card: it reads the disk once (the lock keeps it
/// unchanged), refuses a snapshot of another card, cuts a torn tail of the journal that is appended to (also when that
/// is the successor) to the exact length, appends over the zeros a journal ends with, and removes orphaned temporary
/// files, saying so.
/// </summary>
public sealed class SessionLoadTests : IAsyncDisposable
{
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();
    private readonly RecordingLoggerFactory _log = new();
    private readonly SessionHarness _card;

    public SessionLoadTests()
    {
        _card = SessionHarness.Open(_temp.Path, new FileSystemCheckpointRepositoryOptions { CompactionBytesOverride = long.MaxValue }, _log.CreateLogger("test"));
    }

    private CardPaths Paths => _card.Paths;

    public async ValueTask DisposeAsync()
    {
        await _card.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task TheDiskIsReadOnce_AlsoWhenNothingIsStored_AndAfterADelete()
    {
        (await _card.LoadAsync()).Should().BeNull();
        WriteSnapshot(Stages.Checkpoint(SessionHarness.CardId), JournalFormat.NewId());
        (await _card.LoadAsync()).Should().BeNull("the session knows the card is empty; nobody else may write it while it holds the lock");

        await _card.Session.DeleteAsync();
        WriteSnapshot(Stages.Checkpoint(SessionHarness.CardId), JournalFormat.NewId());
        (await _card.LoadAsync()).Should().BeNull("the session deleted the card");
    }

    [Fact]
    public async Task ASnapshotOfAnotherCard_IsRefused()
    {
        WriteSnapshot(Stages.Checkpoint("OTHER-CARD"), JournalFormat.NewId());

        var error = (await FluentActions.Awaiting(() => _card.LoadAsync()).Should().ThrowAsync<CheckpointCorruptedException>()).Which;

        error.Path.Should().Be(Paths.Snapshot);
        error.Message.Should().Contain("OTHER-CARD");
    }

    [Fact]
    public async Task ATornTailOfTheSuccessorTakingTheAppends_IsCutToTheLastRecord()
    {
        // The snapshot of v3 names the successor, which holds v4-v5 and the start of a record a crash cut short.
        var (changes, final) = JournalBytes.StageChanges(Stages.Checkpoint(SessionHarness.CardId), 5, At);
        var journalId = JournalFormat.NewId();
        var successorId = JournalFormat.SuccessorId(journalId);
        WriteSnapshot(changes[1].ApplyTo(changes[0].ApplyTo(Stages.Checkpoint(SessionHarness.CardId))), successorId);
        File.WriteAllBytes(Paths.Journal, JournalBytes.Journal(journalId, changes[..2]));
        var successor = JournalBytes.Journal(successorId, changes[2..]);
        File.WriteAllBytes(Paths.Successor, [.. successor, .. JournalBytes.Record(changes[0])[..20]]);

        (await _card.LoadAsync()).Should().BeEquivalentTo(final);

        File.ReadAllBytes(Paths.Journal).Should().Equal(successor, "the successor, cut to its last whole record, was renamed over the stale journal");
        _log.Entries.Should().Contain(e => e.Message == $"Journal {Paths.Successor}: cut a torn tail of 20 bytes at offset {successor.Length} left by a crash mid-append");
    }

    [Fact]
    public async Task AppendsGoOverTheZerosAJournalEndsWith_WithoutExtendingIt()
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(SessionHarness.CardId), 2, At);
        var journalId = JournalFormat.NewId();
        WriteSnapshot(Stages.Checkpoint(SessionHarness.CardId), journalId);
        File.WriteAllBytes(Paths.Journal, [.. JournalBytes.Journal(journalId, changes), .. new byte[2000]]);
        var length = new FileInfo(Paths.Journal).Length;
        await _card.LoadAsync();

        var appended = await _card.AppendAsync();

        appended.Should().BeLessThan(2000);
        new FileInfo(Paths.Journal).Length.Should().Be(length, "the record went over zeros written earlier");
    }

    [Fact]
    public async Task ACancelledAppend_WritesNothing()
    {
        await _card.SaveWholeAsync();
        var before = File.ReadAllBytes(Paths.Journal);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await FluentActions.Awaiting(() => _card.AppendAsync(cancellationToken: cancelled.Token)).Should().ThrowAsync<OperationCanceledException>();

        File.ReadAllBytes(Paths.Journal).Should().Equal(before);
    }

    [Fact]
    public async Task OrphanedTemporaryFiles_AreRemoved_AndLogged()
    {
        var orphan = CardPaths.TempFor(Paths.Snapshot);
        File.WriteAllText(orphan, "half a snapshot");

        _card.Session.RemoveOrphanedTempFiles();

        File.Exists(orphan).Should().BeFalse();
        _log.Entries.Select(e => e.Message).Should().Contain($"Removed orphaned temporary file {orphan} left by a crash");
    }

    [Fact]
    public async Task DeleteAndWholeSave_RemoveAStaleSuccessor()
    {
        await _card.SaveWholeAsync();
        File.WriteAllBytes(Paths.Successor, JournalFormat.CreateHeader(JournalFormat.NewId()));

        await _card.SaveWholeAsync(_card.Checkpoint with { Version = 2 });
        File.Exists(Paths.Successor).Should().BeFalse("a whole save makes every older journal stale");

        File.WriteAllBytes(Paths.Successor, JournalFormat.CreateHeader(JournalFormat.NewId()));
        await _card.Session.DeleteAsync();
        File.Exists(Paths.Successor).Should().BeFalse("delete removes every file of the card");
    }

    [Fact]
    public async Task ADisposedSession_RefusesToBeEntered()
    {
        await _card.DisposeAsync();

        FluentActions.Invoking(() => _card.Session.Gate.Wait(0)).Should().Throw<ObjectDisposedException>();
    }

    private void WriteSnapshot(PipelineCheckpoint checkpoint, string journalId)
    {
        var buffer = new ArrayBufferWriter<byte>();
        CheckpointJsonWriter.WriteSnapshot(buffer, checkpoint, journalId);
        File.WriteAllBytes(Paths.Snapshot, buffer.WrittenSpan.ToArray());
    }
}
