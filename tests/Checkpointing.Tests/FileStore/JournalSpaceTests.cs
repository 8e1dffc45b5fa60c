using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// The journal's length on disk, exactly: an append that does not fit in the zero-filled space writes zeros ahead of
/// it, about what the journal takes before its next compaction (the larger of the snapshot and
/// <see cref="FileSystemCheckpointRepositoryOptions.MinCompactionBytes"/>, from 4 KiB to 1 MiB), up to a 4 KiB boundary
/// and never past <see cref="FileSystemCheckpointRepositoryOptions.MaxFileBytes"/>; an append that fits changes no
/// length; a torn tail is cut to the last whole record, and the cut is logged.
/// </summary>
public sealed class JournalSpaceTests : IDisposable
{
    private const string CardId = "CARD-1";
    private const long Block = 4096;
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();
    private readonly RecordingLoggerFactory _log = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(0, 1L << 30, "a small snapshot: the least zero-fill, 4 KiB")]
    [InlineData(200_000, 1L << 30, "MinCompactionBytes above the snapshot: that much")]
    [InlineData(5_000_000, 1L << 30, "more than 1 MiB: 1 MiB")]
    public async Task FirstAppend_ZeroFillsAheadOfTheRecord_ToA4KiBBoundary(long minCompactionBytes, long maxFileBytes, string because)
    {
        var repository = Repository(minCompactionBytes, maxFileBytes);
        var checkpoint = await SaveFirstAsync(repository);
        var snapshotBytes = new FileInfo(Paths.Snapshot).Length;
        var change = Change(checkpoint, 2);

        var end = JournalFormat.HeaderSize + JournalBytes.Record(change).Length;
        var zeroFill = Math.Clamp(Math.Max(snapshotBytes, minCompactionBytes), Block, 1 << 20);
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            // Measured while the owner holds the card: its dispose may trim zeros beyond 1 MiB.
            await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));

            var journal = await File.ReadAllBytesAsync(Paths.Journal);
            journal.Length.Should().Be((int)AlignUp(end + zeroFill), because);
            journal.AsSpan(JournalFormat.HeaderSize, end - JournalFormat.HeaderSize).SequenceEqual(JournalBytes.Record(change)).Should().BeTrue();
            journal.AsSpan(end).ContainsAnyExcept((byte)0).Should().BeFalse("only zeros follow the record");
        }
    }

    [Fact]
    public async Task ZeroFillThatEndsOnABlockBoundary_IsNotRoundedUpFurther()
    {
        var probe = Change(Stages.Checkpoint(CardId), 2);
        var end = JournalFormat.HeaderSize + JournalBytes.Record(probe).Length;
        var minCompactionBytes = (50 * Block) - end; // records end + zero-fill = exactly 50 blocks
        var repository = Repository(minCompactionBytes, 1L << 30);
        var checkpoint = await SaveFirstAsync(repository);

        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            await repository.SaveChangeAsync(new AppliedChange(checkpoint, Change(checkpoint, 2)));
        }

        new FileInfo(Paths.Journal).Length.Should().Be(50 * Block);
    }

    [Fact]
    public async Task RecordThatEndsExactlyAtTheEndOfTheZeroFilledSpace_ChangesNoLength()
    {
        var repository = Repository(minCompactionBytes: 0, 1L << 30);
        var checkpoint = await SaveFirstAsync(repository);
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            var first = Change(checkpoint, 2);
            await repository.SaveChangeAsync(new AppliedChange(checkpoint, first));
            checkpoint = first.ApplyTo(checkpoint);
            var end = JournalFormat.HeaderSize + JournalBytes.Record(first).Length;
            var zeroedEnd = new FileInfo(Paths.Journal).Length;
            zeroedEnd.Should().Be(AlignUp(end + Block));

            var filling = ChangeOfRecordLength(checkpoint, 3, (int)(zeroedEnd - end));
            await repository.SaveChangeAsync(new AppliedChange(checkpoint, filling));

            new FileInfo(Paths.Journal).Length.Should().Be(zeroedEnd, "the record fits the zero-filled space exactly");
        }
    }

    [Fact]
    public async Task ZeroFill_StopsAtMaxFileBytes_WhichNeedNotBeABlockBoundary()
    {
        const long MaxFileBytes = 100_003;
        var repository = Repository(minCompactionBytes: 200_000, MaxFileBytes);
        var checkpoint = await SaveFirstAsync(repository);

        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            await repository.SaveChangeAsync(new AppliedChange(checkpoint, Change(checkpoint, 2)));
        }

        new FileInfo(Paths.Journal).Length.Should().Be(MaxFileBytes, "zeros must not make a journal too large to load");
        (await new FileSystemCheckpointRepository(_temp.Path, Options(200_000, MaxFileBytes)).LoadAsync(CardId))!.Version.Should().Be(2);
    }

    [Fact]
    public async Task AppendsThatFitInTheZeroFilledSpace_ChangeNoLength_AndTheFirstThatDoesNotExtendsIt()
    {
        var repository = Repository(minCompactionBytes: 0, 1L << 30);
        var checkpoint = await SaveFirstAsync(repository);
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            var end = (long)JournalFormat.HeaderSize;
            long zeroedEnd = 0;
            for (var version = 2; version <= 40; version++)
            {
                var change = Change(checkpoint, version);
                await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));
                checkpoint = change.ApplyTo(checkpoint);
                end += JournalBytes.Record(change).Length;
                if (end > zeroedEnd)
                {
                    // The snapshot is a few hundred bytes: 4 KiB of zeros at a time.
                    zeroedEnd = AlignUp(end + Block);
                }

                new FileInfo(Paths.Journal).Length.Should().Be(zeroedEnd, $"after version {version}, the records end at {end}");
            }

            zeroedEnd.Should().BeGreaterThan(2 * Block, "the test must cross more than one zero-filled block");
        }

        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Should().BeEquivalentTo(checkpoint);
    }

    [Fact]
    public async Task TornTail_IsCutToTheLastWholeRecord_WithTheCutLogged_AndTheNextAppendZeroFillsFromThere()
    {
        var (checkpoint, recordsEnd) = await WriteRecordsAsync(3);
        var torn = recordsEnd - 7;
        var validLength = recordsEnd - JournalBytes.Record(Change(checkpoint, 4)).Length;
        byte[] journal = [.. (await File.ReadAllBytesAsync(Paths.Journal))[..(int)recordsEnd], .. new byte[300]];
        journal.AsSpan((int)torn, 7).Clear(); // the last page of record 3 never reached the disk
        await File.WriteAllBytesAsync(Paths.Journal, journal);
        var repository = new FileSystemCheckpointRepository(_temp.Path, Options(0, 1L << 30), _log);

        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            (await repository.LoadAsync(CardId))!.Version.Should().Be(3);
            new FileInfo(Paths.Journal).Length.Should().Be(validLength, "the owner cuts the torn record and everything after it");
            _log.Entries.Should().ContainSingle(e => e.Level == LogLevel.Warning && e.Message.Contains("torn tail", StringComparison.Ordinal))
                .Which.Message.Should().Be($"Journal {Paths.Journal}: cut a torn tail of {journal.Length - validLength} bytes at offset {validLength} left by a crash mid-append");

            var previous = (await repository.LoadAsync(CardId))!;
            var change = Change(previous, 4);
            await repository.SaveChangeAsync(new AppliedChange(previous, change));
            new FileInfo(Paths.Journal).Length.Should().Be(
                AlignUp(validLength + JournalBytes.Record(change).Length + Block), "nothing after the cut counts as zero-filled space");
        }

        _log.Entries.Should().NotContain(e => e.Message.Contains("earlier snapshot generation", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ZeroFilledSpace_IsKeptByTheNextOwner_AndNothingIsLogged()
    {
        var (_, recordsEnd) = await WriteRecordsAsync(3);
        var length = new FileInfo(Paths.Journal).Length;
        length.Should().BeGreaterThan(recordsEnd);
        var repository = new FileSystemCheckpointRepository(_temp.Path, Options(0, 1L << 30), _log);

        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            (await repository.LoadAsync(CardId))!.Version.Should().Be(4);
        }

        new FileInfo(Paths.Journal).Length.Should().Be(length);
        _log.Entries.Should().NotContain(e => e.Level >= LogLevel.Information, "reopening an intact card is not news");
    }

    [Fact]
    public async Task JournalOfAnEarlierGeneration_IsIgnoredByTheNextOwner_AndThatIsLogged()
    {
        var (checkpoint, _) = await WriteRecordsAsync(3);
        var written = Stages.Checkpoint().UpdatedAt.AddDays(-1); // before the snapshot, as a stale journal's records always are
        var stale = JournalBytes.Journal(JournalFormat.NewId(), [new StageRecorded(2, written, Stages.Stage("old"))]);
        await File.WriteAllBytesAsync(Paths.Journal, stale);
        var repository = new FileSystemCheckpointRepository(_temp.Path, Options(0, 1L << 30), _log);

        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            (await repository.LoadAsync(CardId))!.Version.Should().Be(1, "the snapshot holds version 1; the journal continuing it is gone");
            (await File.ReadAllBytesAsync(Paths.Journal)).Should().Equal(stale, "a stale journal is not cut, only replaced on the next write");
        }

        _log.Entries.Should().ContainSingle(e => e.Level == LogLevel.Information).Which.Message
            .Should().Be($"Journal {Paths.Journal} belongs to an earlier snapshot generation and is ignored; it is replaced on the next write");
        checkpoint.Version.Should().Be(4);
    }

    [Fact]
    public async Task CardWithoutAJournal_LogsNothingWhenOpened()
    {
        await WriteRecordsAsync(1);
        File.Delete(Paths.Journal);
        var repository = new FileSystemCheckpointRepository(_temp.Path, Options(0, 1L << 30), _log);

        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            (await repository.LoadAsync(CardId))!.Version.Should().Be(1);
        }

        _log.Entries.Should().BeEmpty();
    }

    private CardPaths Paths => CardPaths.For(_temp.Path, CardId);

    private static long AlignUp(long value) => (value + Block - 1) / Block * Block;

    private static FileSystemCheckpointRepositoryOptions Options(long minCompactionBytes, long maxFileBytes) => new()
    {
        MinCompactionBytes = minCompactionBytes,
        MaxFileBytes = maxFileBytes,
        CompactionBytesOverride = long.MaxValue, // no compaction: only the zero-filled space changes the length
    };

    private static CheckpointChange Change(PipelineCheckpoint checkpoint, long version) =>
        new StageRecorded(version, At.AddSeconds(version), Stages.Stage($"stage-{version}"));

    /// <summary>A stage change whose journal record is exactly <paramref name="recordLength"/> bytes (its stage name pads it).</summary>
    private static CheckpointChange ChangeOfRecordLength(PipelineCheckpoint checkpoint, long version, int recordLength)
    {
        CheckpointChange Padded(int padding) => new StageRecorded(version, At.AddSeconds(version), Stages.Stage("s" + new string('x', padding)));
        var padding = recordLength - JournalBytes.Record(Padded(0)).Length;
        var change = Padded(padding);
        JournalBytes.Record(change).Length.Should().Be(recordLength, "the stage name is written once, one byte per ASCII letter");
        return change;
    }

    private FileSystemCheckpointRepository Repository(long minCompactionBytes, long maxFileBytes) =>
        new(_temp.Path, Options(minCompactionBytes, maxFileBytes));

    private static async Task<PipelineCheckpoint> SaveFirstAsync(FileSystemCheckpointRepository repository)
    {
        var checkpoint = Stages.Checkpoint(CardId);
        await repository.SaveAsync(checkpoint);
        return checkpoint;
    }

    /// <summary>A snapshot at version 1 and <paramref name="count"/> journal records; returns the state and where the records end.</summary>
    private async Task<(PipelineCheckpoint Checkpoint, long RecordsEnd)> WriteRecordsAsync(int count)
    {
        var repository = Repository(0, 1L << 30);
        var checkpoint = await SaveFirstAsync(repository);
        long end = JournalFormat.HeaderSize;
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            for (var version = 2; version <= count + 1; version++)
            {
                var change = Change(checkpoint, version);
                await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));
                checkpoint = change.ApplyTo(checkpoint);
                end += JournalBytes.Record(change).Length;
            }
        }

        return (checkpoint, end);
    }
}
