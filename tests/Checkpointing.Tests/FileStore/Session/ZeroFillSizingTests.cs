using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Session;

/// <summary>
/// How much is written and reserved ahead of the appends, and when: the zeros dispose leaves (up to 1 MiB and a block
/// ahead of the last record; more is cut to the exact length), the size a successor is prepared for (2.5 times the
/// threshold, capped, never past <see cref="FileSystemCheckpointRepositoryOptions.MaxFileBytes"/>), and the threshold
/// that starts that work (more record bytes than the threshold, not as many; the snapshot's size after a compaction).
/// </summary>
public sealed class ZeroFillSizingTests : IDisposable
{
    private const long MaxZerosKept = (1 << 20) + (4 << 10);
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    public async Task Dispose_KeepsUpTo1MiBAndABlockOfZerosAhead_AndCutsMoreToTheLastRecord(long overLimit, bool cut)
    {
        var paths = CardPaths.For(_temp.Path, SessionHarness.CardId);
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(SessionHarness.CardId), 3, At);
        var journalId = JournalFormat.NewId();
        var snapshot = new System.Buffers.ArrayBufferWriter<byte>();
        Checkpointing.Json.CheckpointJsonWriter.WriteSnapshot(snapshot, Stages.Checkpoint(SessionHarness.CardId), journalId);
        File.WriteAllBytes(paths.Snapshot, snapshot.WrittenSpan.ToArray());
        var records = JournalBytes.Journal(journalId, changes);
        File.WriteAllBytes(paths.Journal, [.. records, .. new byte[MaxZerosKept + overLimit]]);

        await using (var card = Open(new() { CompactionBytesOverride = long.MaxValue }))
        {
            (await card.LoadAsync())!.Version.Should().Be(3);
        }

        new FileInfo(paths.Journal).Length.Should().Be(cut ? records.Length : records.Length + MaxZerosKept + overLimit);
    }

    [Theory]
    [InlineData(1000, 1L << 30, 2500)]
    [InlineData(200L << 20, 1L << 30, (256L << 20) / 3 * 5 / 2)]
    [InlineData(1000, 2000, 2000 - 40)]
    public void ASuccessorIsPreparedFor2Point5TimesTheThreshold_Capped_AndNeverPastTheLargestFileALoadReads(long threshold, long maxFileBytes, long expected)
    {
        JournalFormat.HeaderSize.Should().Be(40, "the expected sizes above count it");

        CardSession.ExpectedJournalBytes(threshold, maxFileBytes).Should().Be(expected);
    }

    [Fact]
    public async Task RecordsAsLargeAsTheThreshold_StartNoBackgroundWork_AndOneByteMoreDoes()
    {
        var options = new FileSystemCheckpointRepositoryOptions { CompactionBytesOverride = long.MaxValue };
        var background = new HeldBackground();
        await using var card = Open(options, background);
        await card.SaveWholeAsync();
        options.CompactionBytesOverride = JournalBytes.Record(card.NextChange()).Length;

        await card.AppendAsync();
        background.Started.Should().Be(0, "the journal's records are exactly as large as the threshold");

        await card.AppendAsync();
        background.Started.Should().Be(1);
        await background.RunAsync();
    }

    [Fact]
    public async Task AfterACompaction_TheNewSnapshotsSizeIsTheThreshold()
    {
        var background = new HeldBackground();
        await using var card = Open(new() { MinCompactionBytes = 0 }, background);
        await card.SaveWholeAsync(card.Checkpoint with { Metadata = new Dictionary<string, System.Text.Json.JsonElement> { ["big"] = System.Text.Json.JsonSerializer.SerializeToElement(new string('x', 5000)) } });
        var firstSnapshot = new FileInfo(card.Paths.Snapshot).Length;
        for (var i = 0; i < 3; i++)
        {
            await card.AppendAsync(outputChars: 1000);
        }

        await card.CompactAsync();
        var snapshot = new FileInfo(card.Paths.Snapshot).Length;
        long appended = 0;
        while (appended + JournalBytes.Record(card.NextChange(1000)).Length <= snapshot)
        {
            appended += await card.AppendAsync(outputChars: 1000);
        }

        appended.Should().BeGreaterThan(firstSnapshot, "the records outgrew the old snapshot");
        background.Started.Should().Be(0, "but not the new one");
    }

    private SessionHarness Open(FileSystemCheckpointRepositoryOptions options, HeldBackground? background = null) =>
        SessionHarness.Open(_temp.Path, options, new RecordingLoggerFactory().CreateLogger("test"), background is null ? null : background.Start);
}
