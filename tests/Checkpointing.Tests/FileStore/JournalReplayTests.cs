using System.Buffers.Binary;
using System.Text;
using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// What a replay of one journal reports, byte for byte: which generation it continues, where its valid records end,
/// whether the bytes after them are a torn tail to cut, and the offset every error names.
/// </summary>
public sealed class JournalReplayTests
{
    private const string Path = "/cards/CARD-1.journal";
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string JournalId = JournalFormat.NewId();

    [Fact]
    public void NoJournal_IsNotCurrent_AndHasNoLength()
    {
        var snapshot = Snapshot(JournalId);

        JournalReplay.Replay(null, Path, snapshot).Should().Be(
            new JournalState(snapshot.Checkpoint, ValidLength: 0, FileLength: 0, IsCurrent: false, Records: 0, HasTornTail: false));
    }

    [Theory]
    [InlineData("another generation")]
    [InlineData("snapshot names no journal")]
    [InlineData("header cut short")]
    public void JournalThatDoesNotContinueTheSnapshot_IsStale_WithItsWholeLengthAndNothingValid(string kind)
    {
        // Written before the snapshot, as a stale journal's records always are.
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 3, Stages.Checkpoint().UpdatedAt.AddDays(-1));
        var journal = JournalBytes.Journal(JournalFormat.NewId(), changes);
        var snapshot = Snapshot(JournalId);
        if (kind == "snapshot names no journal")
        {
            journal = JournalBytes.Journal(JournalId, changes);
            snapshot = Snapshot(null); // a file of the Python manager: no journal continues it
        }
        else if (kind == "header cut short")
        {
            journal = JournalFormat.CreateHeader(JournalId)[..(JournalFormat.HeaderSize - 1)];
        }

        var state = JournalReplay.Replay(journal, Path, snapshot);

        state.Should().Be(new JournalState(snapshot.Checkpoint, ValidLength: 0, FileLength: journal.Length, IsCurrent: false, Records: 0, HasTornTail: false));
    }

    [Fact]
    public void CurrentJournal_EndsAtItsLastRecord_AndZerosAfterItAreNotATornTail()
    {
        var (changes, final) = JournalBytes.StageChanges(Stages.Checkpoint(), 4, At);
        var (_, end) = JournalBytes.Layout(changes);
        byte[] journal = [.. JournalBytes.Journal(JournalId, changes), .. new byte[5000]];

        var state = JournalReplay.Replay(journal, Path, Snapshot(JournalId));

        state.Should().BeEquivalentTo(new { ValidLength = end, FileLength = (long)journal.Length, IsCurrent = true, Records = 3, HasTornTail = false });
        state.Checkpoint.Should().BeEquivalentTo(final);
    }

    [Fact]
    public void RecordThatFillsTheFileExactly_IsValid()
    {
        var (changes, final) = JournalBytes.StageChanges(Stages.Checkpoint(), 2, At);
        var journal = JournalBytes.Journal(JournalId, changes);

        var state = JournalReplay.Replay(journal, Path, Snapshot(JournalId));

        state.ValidLength.Should().Be(journal.Length);
        state.HasTornTail.Should().BeFalse();
        state.Checkpoint.Should().BeEquivalentTo(final);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(JournalFormat.RecordHeaderSize - 1)]
    [InlineData(JournalFormat.RecordHeaderSize)]
    [InlineData(JournalFormat.RecordHeaderSize + 1)]
    public void LastRecordCutShort_IsATornTailThatStartsWhereTheRecordDoes(int keptBytes)
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 4, At);
        var (offsets, _) = JournalBytes.Layout(changes);
        var journal = JournalBytes.Journal(JournalId, changes)[..(int)(offsets[2] + keptBytes)];

        var state = JournalReplay.Replay(journal, Path, Snapshot(JournalId));

        state.Should().BeEquivalentTo(new { ValidLength = offsets[2], FileLength = (long)journal.Length, IsCurrent = true, Records = 2, HasTornTail = true });
        state.Checkpoint.Version.Should().Be(3);
    }

    [Fact]
    public void DamagedJournalId_WhoseFirstRecordContinuesTheSnapshot_IsReportedAtTheId()
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 3, At);
        var journal = JournalBytes.Journal(JournalId, changes);
        journal[JournalFormat.HeaderSize - 1] = (byte)(journal[JournalFormat.HeaderSize - 1] == (byte)'0' ? '1' : '0');

        var error = Refused(journal, Snapshot(JournalId));

        error.Offset.Should().Be(8, "the id follows the 8-byte magic");
        error.Message.Should().Contain("version 2");
    }

    [Fact]
    public void JournalOfAnotherGeneration_WhoseFirstRecordWasWrittenAtTheSnapshotsTime_IsADamagedId()
    {
        // Written no earlier than the snapshot: a timestamp equal to the snapshot's still continues it.
        var snapshot = Stages.Checkpoint() with { UpdatedAt = At };
        var first = new StageRecorded(2, At, Stages.Stage("s"));
        var journal = JournalBytes.Journal(JournalFormat.NewId(), [first]);

        Refused(journal, new SnapshotDocument(snapshot, JournalId)).Offset.Should().Be(8);
    }

    [Theory]
    [InlineData(-1, 2, "written before the snapshot")]
    [InlineData(0, 3, "a version that skips one")]
    [InlineData(0, 1, "the snapshot's own version")]
    public void JournalOfAnotherGeneration_WhoseFirstRecordDoesNotContinueTheSnapshot_IsStale(int seconds, long version, string because)
    {
        var snapshot = Stages.Checkpoint() with { UpdatedAt = At };
        var first = new StageRecorded(version, At.AddSeconds(seconds), Stages.Stage("s"));
        var journal = JournalBytes.Journal(JournalFormat.NewId(), [first]);

        JournalReplay.Replay(journal, Path, new SnapshotDocument(snapshot, JournalId)).IsCurrent.Should().BeFalse(because);
    }

    [Fact]
    public void JournalOfAnotherGeneration_WhoseFirstRecordIsNotIntact_IsStale()
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 3, At);
        var journal = JournalBytes.Journal(JournalFormat.NewId(), changes);
        journal[JournalFormat.HeaderSize + JournalFormat.RecordHeaderSize + 2] ^= 0x20;

        JournalReplay.Replay(journal, Path, Snapshot(JournalId)).IsCurrent.Should().BeFalse();
    }

    [Fact]
    public void JournalOfAnotherGeneration_WhoseFirstRecordIsNotAChange_IsStale()
    {
        var journal = (byte[])[.. JournalFormat.CreateHeader(JournalFormat.NewId()), .. JournalBytes.RawRecord("{\"not\":\"a change\"}"u8)];

        JournalReplay.Replay(journal, Path, Snapshot(JournalId)).IsCurrent.Should().BeFalse();
    }

    [Fact]
    public void RecordThatIsNotJson_IsReportedAtTheByteWhereTheJsonBreaks()
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 3, At);
        var (_, end) = JournalBytes.Layout(changes);
        var payload = "{\"version\": x}"u8;
        byte[] journal = [.. JournalBytes.Journal(JournalId, changes), .. JournalBytes.RawRecord(payload)];

        var error = Refused(journal, Snapshot(JournalId));

        error.Offset.Should().Be(end + JournalFormat.RecordHeaderSize + payload.IndexOf((byte)'x'), "the payload follows the record's 12-byte header");
        journal[(int)error.Offset!.Value].Should().Be((byte)'x');
    }

    [Fact]
    public void RecordWithAValueOutOfRange_IsReportedAtItsOffset()
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 3, At);
        var (_, end) = JournalBytes.Layout(changes);
        var bad = Encoding.UTF8.GetBytes("{\"v\":4,\"t\":\"2026-04-01T00:00:00+00:00\",\"type\":\"stage\",\"stage\":{\"stage_name\":\"x\",\"status\":\"completed\",\"duration_seconds\":1e300}}");
        byte[] journal = [.. JournalBytes.Journal(JournalId, changes), .. JournalBytes.RawRecord(bad)];

        var error = Refused(journal, Snapshot(JournalId));

        error.Offset.Should().Be(end + JournalFormat.RecordHeaderSize, "the record's JSON starts after its 12-byte header");
        error.Path.Should().Be(Path);
        error.Message.Should().Contain("stage.duration_seconds: expected a number of seconds");
    }

    [Fact]
    public void ChangeThatDoesNotFollowTheState_IsReportedAtItsRecord()
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 3, At);
        var (_, end) = JournalBytes.Layout(changes);
        byte[] journal = [.. JournalBytes.Journal(JournalId, changes), .. JournalBytes.Record(new StageRecorded(9, At, Stages.Stage("late")))];

        Refused(journal, Snapshot(JournalId)).Offset.Should().Be(end);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    public void ManyRecords_AreAppliedInFileOrder_AndTheFirstBadOneInFileOrderIsReported(int count)
    {
        // Many records are parsed in parallel; the result and the error must be the ones a sequential replay gives.
        var (changes, final) = JournalBytes.StageChanges(Stages.Checkpoint(), count + 1, At);
        var (offsets, _) = JournalBytes.Layout(changes);
        var journal = JournalBytes.Journal(JournalId, changes);
        JournalReplay.Replay(journal, Path, Snapshot(JournalId)).Checkpoint.Should().BeEquivalentTo(final);

        var damaged = (byte[])journal.Clone();
        foreach (var record in new[] { count - 3, count - 1 })
        {
            // Not JSON, with intact checksums: only the parse finds it.
            damaged[(int)offsets[record] + JournalFormat.RecordHeaderSize] = (byte)'[';
            JournalBytes.Reseal(damaged, (int)offsets[record]);
        }

        Refused(damaged, Snapshot(JournalId)).Offset.Should().BeInRange(offsets[count - 3], offsets[count - 2] - 1, "the error is in the first bad record");
    }

    [Fact]
    public void RecordThatCannotBeParsed_IsReportedBeforeDamagedFramingAfterIt()
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 6, At);
        var (offsets, _) = JournalBytes.Layout(changes);
        var journal = JournalBytes.Journal(JournalId, changes);
        journal[(int)offsets[1] + JournalFormat.RecordHeaderSize] = (byte)'[';
        JournalBytes.Reseal(journal, (int)offsets[1]);
        journal[(int)offsets[3] + JournalFormat.RecordHeaderSize + 3] ^= 0x01; // record 4's checksum fails; record 5 follows it

        Refused(journal, Snapshot(JournalId)).Offset.Should().BeInRange(offsets[1], offsets[2] - 1, "the error is in the second record");
    }

    [Fact]
    public void DamagedRecordWithAnIntactOneAfterIt_IsReportedAtTheDamagedRecord()
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 5, At);
        var (offsets, _) = JournalBytes.Layout(changes);
        var journal = JournalBytes.Journal(JournalId, changes);
        journal[(int)offsets[1] + JournalFormat.RecordHeaderSize + 3] ^= 0x01;

        var error = Refused(journal, Snapshot(JournalId));

        error.Offset.Should().Be(offsets[1]);
        error.Message.Should().Contain("journal record checksum mismatch");
    }

    [Theory]
    [InlineData(0, "journal record length checksum mismatch")]
    [InlineData(4, "journal record length checksum mismatch")]
    public void DamagedLengthWithAnIntactRecordAfterIt_IsReportedAtTheDamagedRecord(int at, string problem)
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 5, At);
        var (offsets, _) = JournalBytes.Layout(changes);
        var journal = JournalBytes.Journal(JournalId, changes);
        journal[(int)offsets[1] + at] ^= 0x01;

        var error = Refused(journal, Snapshot(JournalId));

        error.Offset.Should().Be(offsets[1]);
        error.Message.Should().Contain(problem);
    }

    [Fact]
    public void ZeroLengthRecordWithAnIntactRecordAfterIt_IsDamage()
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 3, At);
        var (_, end) = JournalBytes.Layout(changes);
        var zeroLength = new byte[JournalFormat.RecordHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(zeroLength.AsSpan(4), Crc32C.Compute(zeroLength.AsSpan(0, 4)));
        byte[] journal = [.. JournalBytes.Journal(JournalId, changes), .. zeroLength, .. JournalBytes.Record(new StageRecorded(4, At, Stages.Stage("after")))];

        var error = Refused(journal, Snapshot(JournalId));

        error.Offset.Should().Be(end);
        error.Message.Should().Contain("length 0");
    }

    [Fact]
    public void Check_NamesWhatIsWrongWithARecord()
    {
        var record = JournalBytes.Record(new StageRecorded(2, At, Stages.Stage("s")));
        byte[] journal = [.. JournalFormat.CreateHeader(JournalId), .. record];

        JournalReplay.Check(journal, JournalFormat.HeaderSize, out var length).Should().BeNull();
        length.Should().Be(record.Length - JournalFormat.RecordHeaderSize);
        JournalReplay.Check(journal[..^1], JournalFormat.HeaderSize, out length).Should().Be("journal record runs past the end of the journal");
        length.Should().Be(0);
        JournalReplay.Check(journal[..(JournalFormat.HeaderSize + JournalFormat.RecordHeaderSize - 1)], JournalFormat.HeaderSize, out _)
            .Should().Be("journal record header cut short");
        JournalReplay.Check(journal[..(JournalFormat.HeaderSize + JournalFormat.RecordHeaderSize)], JournalFormat.HeaderSize, out _)
            .Should().Be("journal record runs past the end of the journal");
    }

    private static SnapshotDocument Snapshot(string? journalId) => new(Stages.Checkpoint(), journalId);

    private static CheckpointCorruptedException Refused(byte[] journal, SnapshotDocument snapshot)
    {
        var act = () => JournalReplay.Replay(journal, Path, snapshot);
        return act.Should().Throw<CheckpointCorruptedException>().Which;
    }
}
