using System.Buffers.Binary;
using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// After a record that is not intact, a replay looks for an intact record further on (<see cref="IntactRecordSearch"/>):
/// one makes the bad record damage; none makes it a torn append, cut by the next owner. Each boundary of that search,
/// byte for byte.
/// </summary>
public sealed class TornTailSearchTests
{
    private const string Path = "/cards/CARD-1.journal";
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string JournalId = JournalFormat.NewId();

    [Fact]
    public void Garbage_ThenAnIntactRecordEndingTheFile_IsDamageAtTheGarbage()
    {
        var (journal, end) = ValidJournal();
        var lastRecord = JournalBytes.RawRecord("x"u8); // the smallest record: a 1-byte payload, the file's last 13 bytes
        byte[] damaged = [.. journal, .. Enumerable.Repeat((byte)0xEE, 20), .. lastRecord];

        var error = Refused(damaged);

        error.Offset.Should().Be(end);
        error.Message.Should().Contain("journal record length checksum mismatch");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public void Garbage_ThenALengthFieldRunningPastTheEnd_IsATornTail(int pastTheEnd)
    {
        // An intact length field whose record would end past the file holds no intact record: nothing follows the garbage.
        var (journal, end) = ValidJournal();
        var header = new byte[JournalFormat.RecordHeaderSize];
        const int PayloadBytes = 20;
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(PayloadBytes + pastTheEnd));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), Crc32C.Compute(header.AsSpan(0, 4)));
        byte[] torn = [.. journal, .. Enumerable.Repeat((byte)0xEE, 8), .. header, .. Enumerable.Repeat((byte)'a', PayloadBytes)];

        var state = JournalReplay.Replay(torn, Path, Snapshot());

        state.Should().BeEquivalentTo(new { ValidLength = end, FileLength = (long)torn.Length, IsCurrent = true, Records = 2, HasTornTail = true });
    }

    [Fact]
    public void BadRecord_WhoseOnlyIntactFollowerWouldStartInsideTheLastValidRecord_IsATornTail()
    {
        // A record framed to start on the last byte of the last valid record ('}', 0x7D: its length is 0x7D), written
        // without that byte after it: the bytes after the valid records hold no record of their own.
        var (journal, end) = ValidJournal();
        journal[^1].Should().Be((byte)'}');
        var overlapping = JournalBytes.RawRecord(Enumerable.Repeat((byte)'a', 0x7D).ToArray());
        byte[] torn = [.. journal, .. overlapping.AsSpan(1)];
        JournalReplay.Check(torn, (int)end - 1, out _).Should().BeNull("the overlapping record is intact where it starts");

        var state = JournalReplay.Replay(torn, Path, Snapshot());

        state.Should().BeEquivalentTo(new { ValidLength = end, IsCurrent = true, Records = 2, HasTornTail = true });
    }

    [Fact]
    public void LastRecordWrittenWhole_WithABadChecksum_IsDamage_EvenWhereItEndsTheFile()
    {
        // No zero byte in its payload: every page of it reached the disk, so a checksum failure is not a torn append.
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 4, At);
        var (offsets, _) = JournalBytes.Layout(changes);
        var journal = JournalBytes.Journal(JournalId, changes);
        journal[(int)offsets[2] + JournalFormat.RecordHeaderSize + 3] ^= 0x01;

        var error = Refused(journal);

        error.Offset.Should().Be(offsets[2]);
        error.Message.Should().Contain("journal record checksum mismatch");
    }

    private static (byte[] Journal, long End) ValidJournal()
    {
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 3, At);
        return (JournalBytes.Journal(JournalId, changes), JournalBytes.Layout(changes).End);
    }

    private static SnapshotDocument Snapshot() => new(Stages.Checkpoint(), JournalId);

    private static CheckpointCorruptedException Refused(byte[] journal)
    {
        var act = () => JournalReplay.Replay(journal, Path, Snapshot());
        return act.Should().Throw<CheckpointCorruptedException>().Which;
    }
}
