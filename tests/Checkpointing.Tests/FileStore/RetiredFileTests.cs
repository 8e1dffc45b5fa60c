using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// A large file that a rename replaces, or a delete removes, has its disk space freed a step at a time by the store, not
/// all at once by the file system; it keeps no second name once done, and one left by a crash is removed by the card's
/// next owner.
/// </summary>
public sealed class RetiredFileTests : IDisposable
{
    private const int Large = 3 * (int)RetiredFile.StepBytes + 12_345;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReplacingALargeFile_FreesTheOldOne_EvenWhileAReaderHoldsItOpen_AndLeavesOneName(bool prepared)
    {
        var target = _temp.Combine("card.json");
        await File.WriteAllBytesAsync(target, new byte[Large]);
        using var reader = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        if (prepared)
        {
            DurableFile.Commit(await DurableFile.PrepareAsync(target, "new"u8.ToArray(), 0, CancellationToken.None), target);
        }
        else
        {
            var source = _temp.Combine("card.json.next");
            await File.WriteAllTextAsync(source, "new");
            DurableFile.RenameOver(source, target);
        }

        (await File.ReadAllTextAsync(target)).Should().Be("new");
        Directory.GetFiles(_temp.Path).Should().Equal(target);

        // A plain rename leaves the old file whole until its last reader closes it; freed, it is empty already.
        reader.Length.Should().Be(OperatingSystem.IsLinux() ? 0 : Large);
    }

    [Fact]
    public async Task RenameOver_ThatFails_LeavesTheTargetWhole_WithNoSecondName()
    {
        var target = _temp.Combine("card.json");
        await File.WriteAllBytesAsync(target, new byte[Large]);

        FluentActions.Invoking(() => DurableFile.RenameOver(_temp.Combine("missing"), target)).Should().Throw<FileNotFoundException>();

        new FileInfo(target).Length.Should().Be(Large);
        Directory.GetFiles(_temp.Path).Should().Equal(target);
    }

    [Fact]
    public async Task ReaderWithoutTheLock_WhileTheOwnerReplacesLargeSnapshots_NeverSeesDamage_NorAnOlderVersion()
    {
        const string CardId = "CARD-1";
        var at = new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
        var answer = new string('a', 200_000);
        var owner = new FileSystemCheckpointRepository(_temp.Path);
        var checkpoint = Stages.Checkpoint(CardId);
        await owner.SaveAsync(checkpoint);
        var acknowledged = checkpoint.Version;
        using var done = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            var reads = 0;
            var reading = new FileSystemCheckpointRepository(_temp.Path);
            while (!done.IsCancellationRequested)
            {
                var before = Volatile.Read(ref acknowledged);
                var loaded = await reading.LoadAsync(CardId);
                loaded!.Version.Should().BeGreaterThanOrEqualTo(before, "every version acknowledged before the read began is in it");
                reads++;
            }

            return reads;
        });

        await using (await owner.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            // Each compaction replaces a snapshot of 1-8 MB, and frees the one the compaction before it replaced, a step at
            // a time, maybe under a reader still reading it.
            for (var i = 0; i < 40 && !reader.IsCompleted; i++)
            {
                var applied = new AppliedChange(checkpoint, new LlmResponseCached(checkpoint.Version + 1, at, "plan", Stages.Response($"prompt {i}", answer)));
                await owner.SaveChangeAsync(applied);
                checkpoint = applied.Checkpoint;
                Volatile.Write(ref acknowledged, checkpoint.Version);
                await owner.CompactAsync(CardId);
            }
        }

        await done.CancelAsync();
        (await reader).Should().BePositive();
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Version.Should().Be(checkpoint.Version);
    }

    [Fact]
    public async Task Keep_SmallOrMissingFile_KeepsNothing()
    {
        var small = _temp.Combine("small.json");
        await File.WriteAllBytesAsync(small, new byte[RetiredFile.StepBytes]);

        RetiredFile.Keep(small).Should().BeNull("a file of one step or less is freed at once by the rename");
        RetiredFile.Keep(_temp.Combine("missing.json")).Should().BeNull();
        Directory.GetFiles(_temp.Path).Should().Equal(small);
    }

    [Fact]
    public async Task Delete_LargeFile_KeepsItsSpaceUnderATemporaryName_UntilReleased()
    {
        var path = _temp.Combine("card.json");
        await File.WriteAllBytesAsync(path, new byte[Large]);
        var retired = new RetiredFiles();

        DurableFile.Delete(path, retired);

        File.Exists(path).Should().BeFalse();
        retired.Count.Should().Be(OperatingSystem.IsLinux() ? 1 : 0);
        Directory.GetFiles(_temp.Path).Select(f => new FileInfo(f).Length).Should().AllBeEquivalentTo(Large);
        retired.ReleaseAll();
        retired.Count.Should().Be(0);
        Directory.GetFiles(_temp.Path).Should().BeEmpty();
    }

    [Fact]
    public async Task TheSnapshotACompactionReplaced_StaysWholeForAReader_UntilTheNextCompactionStarts_AndTheOwnerLeavesNoneBehind()
    {
        const string CardId = "CARD-1";
        var paths = CardPaths.For(_temp.Path, CardId);
        var owner = new FileSystemCheckpointRepository(_temp.Path);
        var checkpoint = Stages.Checkpoint(CardId);
        await owner.SaveAsync(checkpoint);
        var ownership = await owner.AcquireOwnershipAsync(CardId, TimeSpan.Zero);
        await CompactAfterAChangeAsync();
        var first = new FileInfo(paths.Snapshot).Length;
        using var reader = new FileStream(paths.Snapshot, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        await CompactAfterAChangeAsync();
        reader.Length.Should().Be(first, "the replaced snapshot is kept whole until the next compaction starts");
        var kept = Directory.GetFiles(_temp.Path).Where(paths.IsTempFileOfThisCard).ToList();
        kept.Should().HaveCount(OperatingSystem.IsLinux() ? 2 : 0, "the old snapshot and the old journal");

        await CompactAfterAChangeAsync();
        reader.Length.Should().Be(OperatingSystem.IsLinux() ? 0 : first, "the next compaction frees it");
        kept.Should().OnlyContain(file => !File.Exists(file));

        await ownership.DisposeAsync();
        Directory.GetFiles(_temp.Path).Where(paths.IsTempFileOfThisCard).Should().BeEmpty("the owner frees what it kept when it lets go of the card");
        (await new FileSystemCheckpointRepository(_temp.Path).LoadAsync(CardId))!.Should().BeEquivalentTo(checkpoint);

        async Task CompactAfterAChangeAsync()
        {
            var response = Stages.Response($"prompt {checkpoint.Version}", new string('a', 2 * (int)RetiredFile.StepBytes));
            var applied = new AppliedChange(checkpoint, new LlmResponseCached(checkpoint.Version + 1, checkpoint.UpdatedAt, "plan", response));
            await owner.SaveChangeAsync(applied);
            checkpoint = applied.Checkpoint;
            await owner.CompactAsync(CardId);
        }
    }

    [Fact]
    public async Task ASecondNameLeftByACrash_IsATemporaryFileOfTheCard_WhichItsNextOwnerRemoves()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // hard links to retire files are made on Linux only
        }

        var paths = CardPaths.For(_temp.Path, "card");
        await File.WriteAllBytesAsync(paths.Snapshot, new byte[Large]);

        // A crash between the second name and its release: the name stays behind.
        var retired = RetiredFile.Keep(paths.Snapshot)!;
        paths.IsTempFileOfThisCard(retired.Path).Should().BeTrue();
        CardPaths.For(_temp.Path, "car").IsTempFileOfThisCard(retired.Path).Should().BeFalse();

        await using (var repository = new FileSystemCheckpointRepository(_temp.Path))
        {
            await using var ownership = await repository.AcquireOwnershipAsync("card", TimeSpan.Zero);
        }

        File.Exists(retired.Path).Should().BeFalse();
        File.Exists(paths.Snapshot).Should().BeTrue();
    }
}
