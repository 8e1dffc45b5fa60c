using System.Buffers.Binary;
using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Damage;

/// <summary>
/// Journal framing rules added after a mutation fuzzer: damage scanning is linear in the journal's size, a damaged
/// journal id does not silently drop the records, and a middle record whose length runs past the end over intact
/// records is damage.
/// </summary>
public sealed class JournalFramingTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task DamagedFirstRecordFollowedByManyChecksumValidLengths_LoadsInLinearTime_AsATornTail()
    {
        // Every candidate declares a payload running to near the end of the file, so checking each payload on its own
        // (as before) reads 32,768 x ~1 MiB, about 32 GiB; done in one pass it reads the file once.
        var directory = _temp.Combine("card");
        var (_, journalPath, records) = await DamagedCard.WriteAsync(directory, DamagedCard.Stage("s-1"), DamagedCard.Stage("s-2"));
        var journal = (await File.ReadAllBytesAsync(journalPath))[..(int)records[1]];
        const int Spacing = 64, Candidates = 32_768;
        var crafted = new byte[Spacing * Candidates];
        crafted.AsSpan().Fill((byte)'A');
        for (var i = 0; i < Candidates; i++)
        {
            var header = crafted.AsSpan(i * Spacing);
            var length = (uint)(crafted.Length - (i * Spacing) - JournalFormat.RecordHeaderSize - 1);
            BinaryPrimitives.WriteUInt32LittleEndian(header, length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32C.Compute(header[..4]));
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], 0xDEADBEEF);
        }

        crafted[0] ^= 0xFF; // the first record's length field is damaged: the search for an intact record after it runs
        await File.WriteAllBytesAsync(journalPath, [.. journal, .. crafted]);

        var loaded = await new FileSystemCheckpointRepository(directory).LoadAsync(DamagedCard.CardId)
            .WaitAsync(TimeSpan.FromMinutes(2)); // a safety bound, not a measurement: the quadratic scan took far longer

        loaded!.StageCheckpoints.Keys.Should().Equal(["s-1"], "nothing intact follows the damaged record: it is a torn tail");
    }

    [Fact]
    public async Task MoreChecksumValidLengthsThanATornAppendCanHold_AreDamage()
    {
        var directory = _temp.Combine("card");
        var (_, journalPath, records) = await DamagedCard.WriteAsync(directory, DamagedCard.Stage("s-1"), DamagedCard.Stage("s-2"));
        var journal = (await File.ReadAllBytesAsync(journalPath))[..(int)records[1]];
        var crafted = new byte[8 * (IntactRecordSearch.MaxCandidates + 10)];
        for (var offset = 8; offset + 12 <= crafted.Length; offset += 8)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(crafted.AsSpan(offset), 1);
            BinaryPrimitives.WriteUInt32LittleEndian(crafted.AsSpan(offset + 4), Crc32C.Compute(crafted.AsSpan(offset, 4)));
        }

        crafted[0] = 0x55; // a damaged length field at the first record
        await File.WriteAllBytesAsync(journalPath, [.. journal, .. crafted]);

        ((CheckpointCorruptedException)await DamagedCard.AssertRefusedAsync(directory)).Offset.Should().Be(records[1]);
    }

    [Fact]
    public void TheLinearSearch_FindsExactlyWhatCheckingEveryOffsetFinds()
    {
        var random = new Random(15);
        for (var round = 0; round < 300; round++)
        {
            var journal = new byte[random.Next(64, 2048)];
            if (round % 3 != 0)
            {
                random.NextBytes(journal);
            }

            for (var planted = random.Next(0, 3); planted > 0; planted--)
            {
                var payload = new byte[random.Next(1, 40)];
                random.NextBytes(payload);
                var record = PythonStyleCard.Record(payload);
                var at = random.Next(JournalFormat.HeaderSize, Math.Max(JournalFormat.HeaderSize + 1, journal.Length - record.Length));
                if (round % 5 == 0)
                {
                    record[^1] ^= 1; // a damaged payload: its length is intact, its checksum is not
                }

                record.AsSpan(0, Math.Min(record.Length, journal.Length - at)).CopyTo(journal.AsSpan(at));
            }

            var from = random.Next(JournalFormat.HeaderSize, journal.Length);
            var expected = Enumerable.Range(from, Math.Max(0, journal.Length - from)).Any(offset => JournalReplay.Check(journal, offset, out _) is null);

            IntactRecordSearch.AnyAfter(journal, from).Should().Be(expected, $"round {round}");
        }
    }

    [Fact]
    public void Crc32COfARange_FromTwoPrefixCrcs_EqualsTheDirectCrc()
    {
        var random = new Random(32);
        var data = new byte[5000];
        random.NextBytes(data);
        for (var i = 0; i < 200; i++)
        {
            var a = random.Next(0, data.Length);
            var b = random.Next(a, data.Length + 1);

            Crc32C.OfRange(Crc32C.Compute(data.AsSpan(0, a)), Crc32C.Compute(data.AsSpan(0, b)), b - a).Should().Be(Crc32C.Compute(data.AsSpan(a, b - a)));
            Crc32C.Concat(Crc32C.Compute(data.AsSpan(0, a)), Crc32C.Compute(data.AsSpan(a, b - a)), b - a).Should().Be(Crc32C.Compute(data.AsSpan(0, b)));
        }
    }

    [Fact]
    public async Task MiddleRecordWhoseLengthRunsPastTheEnd_OverIntactRecords_IsDamage()
    {
        var directory = _temp.Combine("card");
        var (_, journalPath, records) = await DamagedCard.WriteAsync(directory, DamagedCard.Stage("s-1"), DamagedCard.Stage("s-2"), DamagedCard.Stage("s-3"));
        var journal = await File.ReadAllBytesAsync(journalPath);
        var middle = (int)records[1];
        BinaryPrimitives.WriteUInt32LittleEndian(journal.AsSpan(middle), (uint)journal.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(journal.AsSpan(middle + 4), Crc32C.Compute(journal.AsSpan(middle, 4)));
        await File.WriteAllBytesAsync(journalPath, journal);

        ((CheckpointCorruptedException)await DamagedCard.AssertRefusedAsync(directory)).Offset.Should().Be(middle);
    }

    [Fact]
    public async Task LastRecordWhoseLengthRunsPastTheEnd_WithNothingAfterIt_IsStillATornTail()
    {
        var directory = _temp.Combine("card");
        var (_, journalPath, records) = await DamagedCard.WriteAsync(directory, DamagedCard.Stage("s-1"), DamagedCard.Stage("s-2"));
        var journal = await File.ReadAllBytesAsync(journalPath);
        await File.WriteAllBytesAsync(journalPath, journal[..((int)DamagedCard.RecordsEnd(journal) - 5)]);

        var loaded = await new FileSystemCheckpointRepository(directory).LoadAsync(DamagedCard.CardId);

        loaded!.StageCheckpoints.Keys.Should().Equal(["s-1"]);
        records.Should().HaveCount(2);
    }

    [Fact]
    public async Task DamagedJournalId_WhoseFirstRecordContinuesTheSnapshot_IsReported_NotIgnored()
    {
        var directory = _temp.Combine("card");
        var (_, journalPath, _) = await DamagedCard.WriteAsync(directory, DamagedCard.Stage("s-1"), DamagedCard.Stage("s-2"));
        var journal = await File.ReadAllBytesAsync(journalPath);
        journal[8 + 5] = journal[8 + 5] == (byte)'a' ? (byte)'b' : (byte)'a';
        await File.WriteAllBytesAsync(journalPath, journal);

        ((CheckpointCorruptedException)await DamagedCard.AssertRefusedAsync(directory)).Message.Should().Contain("journal_id");
    }

    [Fact]
    public async Task StaleJournalOfAnEarlierRun_WhoseFirstRecordHasTheNextVersion_IsStillIgnored()
    {
        // A crash after a new run's snapshot replaced the old one but before its journal replaced the old journal: the
        // old journal's first record can carry the new snapshot's next version, but it is older than the snapshot.
        var old = _temp.Combine("old");
        var (_, oldJournal, _) = await DamagedCard.WriteAsync(old, DamagedCard.Stage("old-stage"));
        var directory = _temp.Combine("card");
        var repository = new FileSystemCheckpointRepository(directory);
        await repository.SaveAsync(new PipelineCheckpoint
        {
            CheckpointId = "checkpoint-CARD-2", CardId = DamagedCard.CardId, CreatedAt = DamagedCard.At.AddDays(1), UpdatedAt = DamagedCard.At.AddDays(1), Version = 1,
        });
        File.Copy(oldJournal, Path.Combine(directory, DamagedCard.CardId + ".journal"), overwrite: true);

        var loaded = await new FileSystemCheckpointRepository(directory).LoadAsync(DamagedCard.CardId);

        loaded!.CheckpointId.Should().Be("checkpoint-CARD-2");
        loaded.StageCheckpoints.Should().BeEmpty("the stale journal is not replayed");
    }
}
