using System.Buffers;
using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// The files a background compaction leaves at each of its steps, written out exactly, then read: without the lock
/// (a reader) and by a new owner, which finishes what the crash interrupted. The kill-loop test reaches these states by
/// SIGKILL at random; these pin each one down.
/// </summary>
public sealed class BackgroundCompactionStateTests : IDisposable
{
    private const string CardId = "CARD-1";
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task SuccessorWithRecords_ContinuesTheJournal_AndTheNextOwnerFinishesTheFold()
    {
        // Step 2: snapshot (v1, journal A), journal A with v2-v3, successor of A with v4-v5; the snapshot of v3 was never written.
        var (changes, final) = Changes(5);
        var journalId = JournalFormat.NewId();
        await WriteSnapshotAsync(Stages.Checkpoint(), journalId);
        await WriteJournalAsync(Paths.Journal, journalId, changes[..2]);
        await WriteJournalAsync(Paths.Successor, JournalFormat.SuccessorId(journalId), changes[2..]);

        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Version.Should().Be(final.Version);

        await ReopenAsOwnerAsync();
        var snapshot = CheckpointJsonReader.ReadSnapshot(await File.ReadAllBytesAsync(Paths.Snapshot), new JsonReadContext(Paths.Snapshot));
        snapshot.JournalId.Should().Be(
            JournalFormat.ReadHeader(await File.ReadAllBytesAsync(Paths.Journal), Paths.Journal),
            "the owner wrote the snapshot naming the successor and renamed the successor over the journal");
        ShouldHoldNoRecords(Paths.Successor);
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Should().BeEquivalentTo(final);
    }

    [Fact]
    public async Task SnapshotNamingTheSuccessor_MakesTheJournalStale_AndTheNextOwnerRenamesTheSuccessor()
    {
        // Step 3: the snapshot of v3 names the successor; the journal (v2-v3) is stale; the successor holds v4-v5.
        var (changes, final) = Changes(5);
        var journalId = JournalFormat.NewId();
        var successorId = JournalFormat.SuccessorId(journalId);
        await WriteSnapshotAsync(changes[1].ApplyTo(changes[0].ApplyTo(Stages.Checkpoint())), successorId);
        await WriteJournalAsync(Paths.Journal, journalId, changes[..2]);
        await WriteJournalAsync(Paths.Successor, successorId, changes[2..]);

        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Should().BeEquivalentTo(final);

        await ReopenAsOwnerAsync();
        ShouldHoldNoRecords(Paths.Successor);
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Should().BeEquivalentTo(final);
    }

    [Theory]
    [InlineData("successor of another journal")]
    [InlineData("prepared successor, no records")]
    public async Task SuccessorThatContinuesNothing_IsIgnored(string kind)
    {
        var (changes, final) = Changes(3);
        var journalId = JournalFormat.NewId();
        await WriteSnapshotAsync(Stages.Checkpoint(), journalId);
        await WriteJournalAsync(Paths.Journal, journalId, changes);
        if (kind == "prepared successor, no records")
        {
            await WriteJournalAsync(Paths.Successor, JournalFormat.SuccessorId(journalId), []);
        }
        else
        {
            // Left by a compaction of an earlier generation; its records are all in the snapshot already.
            var (stale, _) = Changes(2);
            await WriteJournalAsync(Paths.Successor, JournalFormat.SuccessorId(JournalFormat.NewId()), stale);
        }

        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Should().BeEquivalentTo(final);
        await ReopenAsOwnerAsync();
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Should().BeEquivalentTo(final);
    }

    [Fact]
    public async Task TornJournalFollowedBySuccessorRecords_IsDamage_ReportedWhereTheJournalsValidRecordsEnd()
    {
        // The successor is written only after the journal's last record is durable: a torn journal record before it is
        // not a crash mid-append but damage, which must not silently drop the records around it.
        var (changes, _) = Changes(5);
        var journalId = JournalFormat.NewId();
        await WriteSnapshotAsync(Stages.Checkpoint(), journalId);
        await WriteJournalAsync(Paths.Journal, journalId, changes[..2]);
        var journal = await File.ReadAllBytesAsync(Paths.Journal);
        var validLength = journal.Length - JournalBytes.Record(changes[1]).Length;
        await File.WriteAllBytesAsync(Paths.Journal, journal[..^3]);
        // The successor continues the journal's valid records (version 2) from version 3 on: only the torn record is wrong.
        await WriteJournalAsync(Paths.Successor, JournalFormat.SuccessorId(journalId), changes[1..]);

        var error = (await FluentActions.Invoking(() => new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))
            .Should().ThrowAsync<CheckpointCorruptedException>()).Which;

        error.Path.Should().Be(Paths.Journal);
        error.Offset.Should().Be(validLength);
        error.Message.Should().Contain("followed by records in the successor journal");
    }

    [Fact]
    public async Task OwnerSavingPastTheThreshold_LeavesACompactedSnapshotOnDispose_AndLosesNothing()
    {
        var options = new FileSystemCheckpointRepositoryOptions { CompactionBytesOverride = 1 };
        var repository = new FileSystemCheckpointRepository(_temp.Path, options);
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            for (var i = 0; i < 50; i++)
            {
                var change = new LlmResponseCached(checkpoint.Version + 1, At, "plan", Stages.Response($"prompt {i}"));
                var applied = new AppliedChange(checkpoint, change);
                checkpoint = applied.Checkpoint;
                await repository.SaveChangeAsync(applied);
            }
        }

        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Should().BeEquivalentTo(checkpoint);
        var snapshot = CheckpointJsonReader.ReadSnapshot(await File.ReadAllBytesAsync(Paths.Snapshot), new JsonReadContext(Paths.Snapshot));
        snapshot.Checkpoint.Version.Should().Be(checkpoint.Version, "dispose compacts a journal that is due");
    }

    private CardPaths Paths => CardPaths.For(_temp.Path, CardId);

    private static (CheckpointChange[] Changes, PipelineCheckpoint Final) Changes(int lastVersion)
    {
        var checkpoint = Stages.Checkpoint();
        var changes = new List<CheckpointChange>();
        for (var version = 2; version <= lastVersion; version++)
        {
            var change = new StageRecorded(version, At.AddSeconds(version), Stages.Stage($"stage-{version}"));
            checkpoint = change.ApplyTo(checkpoint);
            changes.Add(change);
        }

        return ([.. changes], checkpoint);
    }

    private async Task WriteSnapshotAsync(PipelineCheckpoint checkpoint, string journalId)
    {
        var buffer = new ArrayBufferWriter<byte>();
        CheckpointJsonWriter.WriteSnapshot(buffer, checkpoint, journalId);
        await File.WriteAllBytesAsync(Paths.Snapshot, buffer.WrittenMemory.ToArray());
    }

    private static async Task WriteJournalAsync(string path, string journalId, IEnumerable<CheckpointChange> changes)
    {
        var bytes = new List<byte>(JournalFormat.CreateHeader(journalId));
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var change in changes)
        {
            buffer.ResetWrittenCount();
            JournalFormat.Reserve(buffer);
            CheckpointJsonWriter.WriteChange(buffer, change);
            bytes.AddRange(JournalFormat.Seal(buffer).ToArray());
        }

        await File.WriteAllBytesAsync(path, [.. bytes]);
    }

    /// <summary>A successor left in place is one prepared for the next compaction: a header and nothing else.</summary>
    private static void ShouldHoldNoRecords(string successor)
    {
        if (File.Exists(successor))
        {
            new FileInfo(successor).Length.Should().Be(JournalFormat.HeaderSize);
        }
    }

    private async Task ReopenAsOwnerAsync()
    {
        var repository = new FileSystemCheckpointRepository(_temp.Path);
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            await repository.LoadAsync(CardId);
        }
    }
}
