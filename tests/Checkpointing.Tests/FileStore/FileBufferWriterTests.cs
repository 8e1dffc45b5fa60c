using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// The writer that streams a snapshot to its file a chunk at a time hands out room for a value bigger than a chunk (a
/// long prompt or answer), and the file holds exactly what was written.
/// </summary>
public sealed class FileBufferWriterTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RoomBiggerThanAChunk_AfterSomeBytes_IsGiven_AndEveryByteLandsInOrder(bool asMemory)
    {
        var path = _temp.Combine("f");
        var expected = new List<byte>();
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            using var writer = new FileBufferWriter(file);
            foreach (var size in (int[])[10, FileBufferWriter.ChunkSize * 3 + 7, 5, FileBufferWriter.ChunkSize - 1, FileBufferWriter.ChunkSize * 2])
            {
                var room = asMemory ? writer.GetMemory(size).Span : writer.GetSpan(size);
                room.Length.Should().BeGreaterThanOrEqualTo(size);
                for (var i = 0; i < size; i++)
                {
                    room[i] = (byte)(expected.Count + i);
                }

                writer.Advance(size);
                expected.AddRange(Enumerable.Range(expected.Count, size).Select(i => (byte)i));
            }

            writer.Flush();
        }

        (await File.ReadAllBytesAsync(path)).Should().Equal(expected);
    }

    [Fact]
    public async Task Compaction_OfAnAnswerOfAMillionCharacters_PutsItInTheSnapshot()
    {
        var answer = string.Concat(Enumerable.Repeat("long answer é ", 80_000));
        var repository = new FileSystemCheckpointRepository(_temp.Path);
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        var applied = new AppliedChange(checkpoint, new LlmResponseCached(2, checkpoint.UpdatedAt, "plan", Stages.Response("prompt", answer)));
        await using (await repository.AcquireOwnershipAsync(checkpoint.CardId, TimeSpan.Zero))
        {
            await repository.SaveChangeAsync(applied);
            await repository.CompactAsync(checkpoint.CardId);
        }

        var loaded = await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(checkpoint.CardId);
        loaded!.PendingLlmResponses["plan"].Should().ContainSingle().Which.Response.Should().Be(answer);
        new FileInfo(CardPaths.For(_temp.Path, checkpoint.CardId).Snapshot).Length.Should().BeGreaterThan(answer.Length, "the answer is in the snapshot, not only in the journal");
    }
}
