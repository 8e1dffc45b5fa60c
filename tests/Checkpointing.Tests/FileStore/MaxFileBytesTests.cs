using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// The file store never writes a file that its next load would refuse as over
/// <see cref="FileSystemCheckpointRepositoryOptions.MaxFileBytes"/>: a save that would is refused before anything is
/// written, a compaction that would leaves the files as they were, and every save that returned still loads.
/// </summary>
public sealed class MaxFileBytesTests : IDisposable
{
    private const string CardId = "CARD-1";
    private const long Limit = 200_000;
    private static readonly FileSystemCheckpointRepositoryOptions Options = new() { MaxFileBytes = Limit };
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task SavesThatWouldOutgrowTheLimit_AreRefusedBeforeWriting_AndEverySaveThatReturnedStillLoads()
    {
        var repository = new FileSystemCheckpointRepository(_temp.Path, Options);
        var manager = new CheckpointManager(CardId, repository);
        await manager.CreateCheckpointAsync(3);
        var saved = 0;
        var refused = new List<CheckpointTooLargeException>();
        for (var i = 0; i < 6; i++)
        {
            try
            {
                await manager.CacheLlmResponseAsync("plan", new LlmResponse($"prompt {i}", new string('a', 70_000)));
                saved++;
            }
            catch (CheckpointTooLargeException ex)
            {
                refused.Add(ex);
            }
        }

        await manager.DisposeAsync();
        await repository.DisposeAsync();

        // Two answers of 70 KB fill a 200 KB journal; a fold in time lets two more go to the next journal (the fold of all
        // four is then refused, and the snapshot keeps the first two).
        saved.Should().BeInRange(2, 4);
        refused.Should().NotBeEmpty();
        refused[0].Limit.Should().Be(Limit);
        refused[0].Size.Should().BeGreaterThan(Limit);
        refused[0].Message.Should().Contain("nothing was written").And.Contain("MaxFileBytes").And.Contain(refused[0].Path);
        Directory.GetFiles(_temp.Path).Should().OnlyContain(file => new FileInfo(file).Length <= Limit);
        var loaded = await new FileSystemCheckpointRepository(_temp.Path, Options).LoadAsync(CardId);
        loaded!.PendingLlmResponses["plan"].Should().HaveCount(saved, "every save that returned is kept, and only those");
    }

    [Fact]
    public async Task AWholeSaveOverTheLimit_IsRefused_AndLeavesTheStoredCheckpoint()
    {
        var repository = new FileSystemCheckpointRepository(_temp.Path, Options);
        var small = Stages.Checkpoint(CardId);
        await repository.SaveAsync(small);
        var snapshot = CardPaths(repository);
        var before = await File.ReadAllBytesAsync(snapshot);
        var large = small with
        {
            Version = 2,
            PendingLlmResponses = new Dictionary<string, IReadOnlyList<LlmResponse>> { ["plan"] = [new LlmResponse("prompt", new string('a', 300_000))] },
        };

        var error = (await repository.Invoking(r => r.SaveAsync(large)).Should().ThrowAsync<CheckpointTooLargeException>()).Which;

        error.Path.Should().Be(snapshot);
        (await File.ReadAllBytesAsync(snapshot)).Should().Equal(before);
        Directory.GetFiles(_temp.Path).Should().OnlyContain(file => !file.EndsWith(".tmp", StringComparison.Ordinal));
        (await new FileSystemCheckpointRepository(_temp.Path, Options).LoadAsync(CardId))!.Version.Should().Be(1);
    }

    [Fact]
    public async Task ACompactionThatWouldOutgrowTheLimit_LeavesTheFilesAsTheyWere_AndSaysSo()
    {
        var repository = new FileSystemCheckpointRepository(_temp.Path, Options);
        var checkpoint = Stages.Checkpoint(CardId);
        await repository.SaveAsync(checkpoint);
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            // Two answers of 60 KB each in the snapshot and two in the journal: each file fits, all four together do not.
            for (var i = 0; i < 4; i++)
            {
                var applied = new AppliedChange(
                    checkpoint, new LlmResponseCached(checkpoint.Version + 1, checkpoint.UpdatedAt, $"stage-{i}", new LlmResponse("prompt", new string('a', 60_000))));
                await repository.SaveChangeAsync(applied);
                checkpoint = applied.Checkpoint;
                if (i == 1)
                {
                    await repository.CompactAsync(CardId);
                }
            }

            await repository.Invoking(r => r.CompactAsync(CardId)).Should().ThrowAsync<CheckpointTooLargeException>(
                "the snapshot of all of it would be over the limit");
        }

        Directory.GetFiles(_temp.Path).Should().OnlyContain(file => new FileInfo(file).Length <= Limit);
        (await new FileSystemCheckpointRepository(_temp.Path, Options).LoadAsync(CardId))!.Should().BeEquivalentTo(checkpoint);
    }

    private static string CardPaths(FileSystemCheckpointRepository repository) => repository.GetSnapshotPath(CardId);
}
