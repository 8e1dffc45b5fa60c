using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// The writes that keep appends flat: a successor journal zero-filled in the background (so appends overwrite zeros
/// and never extend the file), snapshots and zeros written out a chunk at a time, and what dispose leaves.
/// </summary>
public sealed class ZeroFillTests : IDisposable
{
    private const string CardId = "CARD-1";
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void FileBufferWriter_WritesTheWholeDocument_OneChunkAtATime()
    {
        var document = new byte[(FileBufferWriter.ChunkSize * 3) + 100];
        new Random(7).NextBytes(document);
        var path = Path.Combine(_temp.Path, "document");
        int chunks;
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0))
        {
            using var writer = new FileBufferWriter(file);
            for (var offset = 0; offset < document.Length; offset += 1000)
            {
                var part = document.AsSpan(offset, Math.Min(1000, document.Length - offset));
                part.CopyTo(writer.GetSpan(part.Length));
                writer.Advance(part.Length);
            }

            writer.ChunksWrittenOut.Should().Be(3, "a chunk is written out as soon as the next write does not fit in it");
            writer.Flush();
            writer.Flush();
            chunks = writer.ChunksWrittenOut;
        }

        chunks.Should().Be(4, "the last, partial chunk is written out by Flush, and a Flush with nothing buffered writes nothing");
        File.ReadAllBytes(path).Should().Equal(document);
    }

    [Fact]
    public void ZeroFill_AppendsZerosUpToTheLength_KeepingWhatIsThere()
    {
        var path = Path.Combine(_temp.Path, "journal");
        var header = JournalFormat.CreateHeader(JournalFormat.NewId());
        File.WriteAllBytes(path, header);
        var length = JournalFormat.HeaderSize + (2L * FileBufferWriter.ChunkSize) + 123;

        CardSession.ZeroFill(path, length, stop: () => false).Should().Be(length);

        var bytes = File.ReadAllBytes(path);
        bytes.Length.Should().Be((int)length);
        bytes[..header.Length].Should().Equal(header);
        bytes.AsSpan(header.Length).ContainsAnyExcept((byte)0).Should().BeFalse();
    }

    [Theory]
    [InlineData(0, new int[0])]
    [InlineData(1, new[] { 1 })]
    [InlineData(64 << 10, new[] { 64 << 10 })]
    [InlineData((64 << 10) + 1, new[] { 64 << 10, 1 })]
    public void ZerosAfterARecord_AreBuffersOfAtMost64KiB_WithoutAnEmptyOne(long zeros, int[] lengths)
    {
        var buffers = CardSession.WithZerosAfter(new byte[] { 7 }, zeros);

        buffers[0].ToArray().Should().Equal([(byte)7]);
        buffers.Skip(1).Select(buffer => buffer.Length).Should().Equal(lengths);
        buffers.Skip(1).SelectMany(buffer => buffer.ToArray()).Where(b => b != 0).Should().BeEmpty("they are zeros");
    }

    [Fact]
    public void ZeroFill_StopsWhenAsked_AtAChunkBoundary()
    {
        var path = Path.Combine(_temp.Path, "journal");
        File.WriteAllBytes(path, JournalFormat.CreateHeader(JournalFormat.NewId()));
        var asked = 0;

        var length = CardSession.ZeroFill(path, 10L * FileBufferWriter.ChunkSize, stop: () => ++asked > 2);

        length.Should().Be(JournalFormat.HeaderSize + (2L * FileBufferWriter.ChunkSize), "two chunks were written before it was asked to stop");
        new FileInfo(path).Length.Should().Be(length);
    }

    [Fact]
    public async Task AppendsToABackgroundPreparedSuccessor_OverwriteItsZeros_AndDisposeTrimsWhatIsLeft()
    {
        const long Threshold = 1 << 20;
        var repository = new FileSystemCheckpointRepository(_temp.Path, new FileSystemCheckpointRepositoryOptions { CompactionBytesOverride = Threshold });
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        var answer = new string('a', 8 << 10);
        var saved = 0;
        async Task SaveAsync()
        {
            var change = new LlmResponseCached(checkpoint.Version + 1, At, "plan", Stages.Response($"prompt {saved++}", answer));
            var applied = new AppliedChange(checkpoint, change);
            checkpoint = applied.Checkpoint;
            await repository.SaveChangeAsync(applied);
        }

        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            // Past the threshold, a save starts preparing a successor in the background, zero-filled to 2.5 times the
            // threshold; it appears, whole, under its name once ready, and a later save switches the appends to it.
            while (!File.Exists(Paths.Successor))
            {
                await SaveAsync();
            }

            var prepared = JournalFormat.HeaderSize + (Threshold * 5 / 2);
            new FileInfo(Paths.Successor).Length.Should().Be(prepared);
            using var successor = new FileStream(Paths.Successor, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

            // The appends go to it from the first save after the background work that prepared it has ended (and a
            // fold renames it over the journal). When that work ends is up to the thread pool, so save until the
            // successor's first record is there (a bounded number of saves), then 20 more: all fit in its zeros.
            var firstLength = new byte[4];
            for (var i = 0; i < 1000 && FirstRecordLength() == 0; i++)
            {
                await SaveAsync();
            }

            FirstRecordLength().Should().NotBe(0u, "the appends went to the successor");
            for (var i = 0; i < 20; i++)
            {
                await SaveAsync();
            }

            successor.Length.Should().Be(prepared, "appends overwrite the zeros written ahead and never extend the file");

            uint FirstRecordLength()
            {
                RandomAccess.Read(successor.SafeFileHandle, firstLength, JournalFormat.HeaderSize);
                return BitConverter.ToUInt32(firstLength);
            }
        }

        File.Exists(Paths.Successor).Should().BeFalse("dispose removes a successor prepared for a compaction that will not come");
        var journal = await File.ReadAllBytesAsync(Paths.Journal);
        journal.Length.Should().BeLessThan((int)Threshold, "dispose cuts the megabytes of zeros nobody wrote over");
        journal[^1].Should().Be((byte)'}', "only zeros were cut: the journal ends with its last record");
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Should().BeEquivalentTo(checkpoint);
    }

    [Fact]
    public async Task AStoreThatNeverCompactsByItself_StillCompactsWhenAsked()
    {
        var repository = new FileSystemCheckpointRepository(_temp.Path, new FileSystemCheckpointRepositoryOptions { MinCompactionBytes = long.MaxValue });
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            for (var i = 0; i < 3; i++)
            {
                var applied = new AppliedChange(checkpoint, new LlmResponseCached(checkpoint.Version + 1, At, "plan", Stages.Response($"prompt {i}")));
                checkpoint = applied.Checkpoint;
                await repository.SaveChangeAsync(applied);
            }

            await repository.CompactAsync(CardId);
        }

        var snapshot = Checkpointing.Json.CheckpointJsonReader.ReadSnapshot(
            await File.ReadAllBytesAsync(Paths.Snapshot), new Checkpointing.Json.JsonReadContext(Paths.Snapshot));
        snapshot.Checkpoint.Version.Should().Be(checkpoint.Version);
    }

    private CardPaths Paths => CardPaths.For(_temp.Path, CardId);
}
