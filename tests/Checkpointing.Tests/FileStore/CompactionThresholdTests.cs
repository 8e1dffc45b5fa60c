using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// When the journal is folded into the snapshot: once its records hold more bytes than the snapshot (or than
/// <see cref="FileSystemCheckpointRepositoryOptions.MinCompactionBytes"/>, if larger), and not at equal size; the
/// journal that continues a compaction is the successor of the one it folded; and each compaction is logged with
/// the journal bytes it folded, the new snapshot's size and its version.
/// </summary>
public sealed class CompactionThresholdTests : IDisposable
{
    private const string CardId = "CARD-1";
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();
    private readonly RecordingLoggerFactory _log = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 4)]
    public async Task JournalRecordsAtTheThreshold_AreNotCompacted_AndOneByteOverAre(long overThreshold, long snapshotVersion)
    {
        var recordBytes = RecordBytes(2, 4);
        var repository = Repository(new() { CompactionBytesOverride = recordBytes + overThreshold });

        await SaveAsync(repository, lastVersion: 4);

        StoredSnapshot().Checkpoint.Version.Should().Be(snapshotVersion);
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Version.Should().Be(4);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 4)]
    public async Task JournalReopenedByANewOwner_CountsTheRecordsItHolds_TowardTheThreshold(long overThreshold, long snapshotVersion)
    {
        var recordBytes = RecordBytes(2, 4);
        await SaveAsync(Repository(new() { CompactionBytesOverride = long.MaxValue }), lastVersion: 4);
        StoredSnapshot().Checkpoint.Version.Should().Be(1);

        var repository = Repository(new() { CompactionBytesOverride = recordBytes + overThreshold });
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            await repository.LoadAsync(CardId);
        }

        StoredSnapshot().Checkpoint.Version.Should().Be(snapshotVersion, "a due compaction is made on dispose");
    }

    [Fact]
    public async Task WithoutMinCompactionBytes_TheSnapshotsSizeIsTheThreshold()
    {
        var repository = Repository(new() { MinCompactionBytes = 0 });
        await repository.SaveAsync(Stages.Checkpoint(CardId));
        var snapshotBytes = new FileInfo(Paths.Snapshot).Length;
        var lastVersion = 1;
        while (RecordBytes(2, lastVersion + 1) <= snapshotBytes)
        {
            lastVersion++;
        }

        await AppendAsync(repository, from: 2, lastVersion);
        StoredSnapshot().Checkpoint.Version.Should().Be(1, $"{RecordBytes(2, lastVersion)} journal bytes are not more than the {snapshotBytes}-byte snapshot");

        await AppendAsync(repository, from: lastVersion + 1, lastVersion + 1);
        StoredSnapshot().Checkpoint.Version.Should().Be(lastVersion + 1, "one more record makes the journal larger than the snapshot");
    }

    [Fact]
    public async Task MinCompactionBytesLargerThanTheSnapshot_IsTheThreshold()
    {
        var repository = Repository(new() { MinCompactionBytes = 1 << 20 });
        await SaveAsync(repository, lastVersion: 30);

        StoredSnapshot().Checkpoint.Version.Should().Be(1, "30 small records are far below 1 MiB");
        new FileInfo(Paths.Snapshot).Length.Should().BeLessThan(RecordBytes(2, 30), "the snapshot alone would have made them due");
    }

    [Fact]
    public async Task Compaction_ContinuesInTheSuccessorOfTheFoldedJournal_AndLogsWhatItFolded()
    {
        var repository = Repository(new() { CompactionBytesOverride = long.MaxValue });
        await SaveAsync(repository, lastVersion: 4);
        var firstId = StoredSnapshot().JournalId!;
        JournalFormat.ReadHeader(await File.ReadAllBytesAsync(Paths.Journal), Paths.Journal).Should().Be(firstId);
        _log.Entries.Should().ContainSingle(e => e.Message.Contains("compacted", StringComparison.Ordinal)).Which
            .Should().Be((LogLevel.Debug, $"Card {CardId}: compacted 0 journal bytes into a {new FileInfo(Paths.Snapshot).Length}-byte snapshot (version 1)"));

        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            await repository.CompactAsync(CardId);
        }

        var snapshot = StoredSnapshot();
        snapshot.Checkpoint.Version.Should().Be(4);
        snapshot.JournalId.Should().Be(JournalFormat.SuccessorId(firstId));
        JournalFormat.ReadHeader(await File.ReadAllBytesAsync(Paths.Journal), Paths.Journal).Should().Be(snapshot.JournalId);
        _log.Entries.Where(e => e.Message.Contains("compacted", StringComparison.Ordinal)).Select(e => e.Message).Should().EndWith(
            $"Card {CardId}: compacted {RecordBytes(2, 4)} journal bytes into a {new FileInfo(Paths.Snapshot).Length}-byte snapshot (version 4)");
    }

    [Fact]
    public async Task WholeSave_LogsTheJournalBytesItMadeStale()
    {
        var repository = Repository(new() { CompactionBytesOverride = long.MaxValue });
        var checkpoint = await SaveAsync(repository, lastVersion: 3);
        var whole = checkpoint with { Version = 4, Status = CheckpointStatus.Paused };

        await repository.SaveAsync(whole);

        _log.Entries.Select(e => e.Message).Should().EndWith(
            $"Card {CardId}: compacted {RecordBytes(2, 3)} journal bytes into a {new FileInfo(Paths.Snapshot).Length}-byte snapshot (version 4)");
        StoredSnapshot().Checkpoint.Status.Should().Be(CheckpointStatus.Paused);
    }

    [Fact]
    public async Task AfterACompaction_TheNextAppendsGoToTheSuccessorFromItsHeader_AndCountFromZero()
    {
        // Between what the appends before the compaction and the one after it hold: due only if the count is not reset.
        var repository = Repository(new() { CompactionBytesOverride = RecordBytes(2, 4) + 1, MinCompactionBytes = 0 });
        var checkpoint = await SaveAsync(repository, lastVersion: 4);
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            await repository.CompactAsync(CardId);
            var change = Change(5);
            await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));

            var end = JournalFormat.HeaderSize + JournalBytes.Record(change).Length;
            new FileInfo(Paths.Journal).Length.Should().Be((end + 4096 + 4095) / 4096 * 4096, "the successor is zero-filled from its header on");
        }

        StoredSnapshot().Checkpoint.Version.Should().Be(4, "one small record after the compaction does not make another due");
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Version.Should().Be(5);
    }

    [Fact]
    public async Task JournalReopenedByANewOwner_IsFoldedIntoTheSuccessorOfItsOwnId()
    {
        await SaveAsync(Repository(new() { CompactionBytesOverride = long.MaxValue }), lastVersion: 3);
        var journalId = StoredSnapshot().JournalId!;

        var repository = Repository(new() { CompactionBytesOverride = long.MaxValue });
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            await repository.CompactAsync(CardId);
        }

        StoredSnapshot().JournalId.Should().Be(JournalFormat.SuccessorId(journalId));
        StoredSnapshot().Checkpoint.Version.Should().Be(3);
    }

    [Fact]
    public async Task CompactingAJournalWithoutRecords_ChangesNothing()
    {
        var repository = Repository(new() { CompactionBytesOverride = long.MaxValue });
        await repository.SaveAsync(Stages.Checkpoint(CardId));
        var before = DamagedCard.Files(_temp.Path);

        await repository.CompactAsync(CardId);
        await repository.CompactAsync("NO-SUCH-CARD");

        DamagedCard.AssertSameFiles(_temp.Path, before, "there is nothing to fold, and no card to compact");
    }

    [Fact]
    public async Task CompactingACardWithoutAJournal_WritesItsSnapshotWithANewJournal()
    {
        // A file of the Python manager: a snapshot without journal_id, and no journal.
        var directory = PythonStyleCard.Write(_temp.Combine("python"), PythonStyleCard.Document(PythonStyleCard.Stage("s")));
        var repository = new FileSystemCheckpointRepository(directory);
        const string cardId = DamagedCard.CardId;
        var loaded = await repository.LoadAsync(cardId);
        var paths = CardPaths.For(directory, cardId);

        await repository.CompactAsync(cardId);

        var snapshot = CheckpointJsonReader.ReadSnapshot(File.ReadAllBytes(paths.Snapshot), new JsonReadContext(paths.Snapshot));
        snapshot.JournalId.Should().NotBeNull();
        JournalFormat.ReadHeader(await File.ReadAllBytesAsync(paths.Journal), paths.Journal).Should().Be(snapshot.JournalId);
        (await repository.LoadAsync(cardId)).Should().BeEquivalentTo(loaded);
    }

    [Fact]
    public void SuccessorId_IsDerivedFromTheJournalId_AsAnotherValidId()
    {
        var id = JournalFormat.NewId();

        var successor = JournalFormat.SuccessorId(id);

        successor.Should().MatchRegex("^[0-9a-f]{32}$").And.NotBe(id).And.Be(JournalFormat.SuccessorId(id));
        JournalFormat.SuccessorId(successor).Should().NotBe(successor).And.NotBe(id);
        JournalFormat.ReadHeader(JournalFormat.CreateHeader(successor), "j").Should().Be(successor);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    public void CreateHeader_RefusesAnIdThatIsNot32Characters(string id)
    {
        var act = () => JournalFormat.CreateHeader(id);

        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void ReadHeader_OfAFileThatIsNotAJournal_IsCorruptionAtByte0()
    {
        var header = JournalFormat.CreateHeader(JournalFormat.NewId());
        header[7] = (byte)'2';

        var act = () => JournalFormat.ReadHeader(header, "x.journal");

        act.Should().Throw<CheckpointCorruptedException>().Which.Should().Match<CheckpointCorruptedException>(e => e.Offset == 0 && e.Path == "x.journal");
        JournalFormat.ReadHeader(header.AsSpan(0, header.Length - 1), "x.journal").Should().BeNull("a header cut short is a torn create, not damage");
    }

    private CardPaths Paths => CardPaths.For(_temp.Path, CardId);

    private FileSystemCheckpointRepository Repository(FileSystemCheckpointRepositoryOptions options) => new(_temp.Path, options, _log);

    private SnapshotDocument StoredSnapshot() =>
        CheckpointJsonReader.ReadSnapshot(File.ReadAllBytes(Paths.Snapshot), new JsonReadContext(Paths.Snapshot));

    private static CheckpointChange Change(long version) => new StageRecorded(version, At.AddSeconds(version), Stages.Stage($"stage-{version}"));

    /// <summary>The bytes of the journal records of versions <paramref name="from"/> to <paramref name="to"/>.</summary>
    private static long RecordBytes(long from, long to)
    {
        long bytes = 0;
        for (var version = from; version <= to; version++)
        {
            bytes += JournalBytes.Record(Change(version)).Length;
        }

        return bytes;
    }

    /// <summary>Saves the checkpoint at version 1, then the changes up to <paramref name="lastVersion"/> as the owner.</summary>
    private static async Task<PipelineCheckpoint> SaveAsync(FileSystemCheckpointRepository repository, long lastVersion)
    {
        await repository.SaveAsync(Stages.Checkpoint(CardId));
        return await AppendAsync(repository, from: 2, lastVersion);
    }

    /// <summary>Appends the changes of versions <paramref name="from"/> to <paramref name="lastVersion"/> as one owner.</summary>
    private static async Task<PipelineCheckpoint> AppendAsync(FileSystemCheckpointRepository repository, long from, long lastVersion)
    {
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            var checkpoint = (await repository.LoadAsync(CardId))!;
            for (var version = from; version <= lastVersion; version++)
            {
                var change = Change(version);
                await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));
                checkpoint = change.ApplyTo(checkpoint);
            }

            return checkpoint;
        }
    }
}
