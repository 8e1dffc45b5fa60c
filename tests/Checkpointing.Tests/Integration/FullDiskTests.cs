using System.Diagnostics;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.Tests.Integration;

/// <summary>
/// A save on a full disk fails loudly and loses nothing. Needs a small tmpfs, so it runs only where the test may
/// mount one (root on Linux, with the capability); elsewhere it logs why and returns.
/// </summary>
[Collection(RealProcessTests.Name)]
public sealed class FullDiskTests(ITestOutputHelper output)
{
    private const string CardId = "DISK";

    [Fact]
    public Task SavesOnAFullDisk_FailWithIOException_AndLeaveEverySavedChangeIntact() =>
        OnSmallTmpfsAsync(mountPoint => RunOnFullDiskAsync(Path.Combine(mountPoint, "store"), Path.Combine(mountPoint, "filler")));

    [Fact]
    public Task SmallChangesOnADiskFilledAfterACompaction_StillFitInTheJournalsReservedSpace() =>
        OnSmallTmpfsAsync(async mountPoint =>
        {
            // The journal reserves its space when it is created; zeros written ahead of the records must not make the
            // appends that fit in that space fail once the disk is full.
            var directory = Path.Combine(mountPoint, "store");
            var manager = new CheckpointManager(CardId, new FileSystemCheckpointRepository(directory));
            await using (manager)
            {
                await manager.CreateCheckpointAsync(totalStages: 3);
                output.WriteLine($"tmpfs filled with {FillDisk(Path.Combine(mountPoint, "filler"))} bytes of filler");

                for (var i = 0; i < 20; i++)
                {
                    await manager.CacheLlmResponseAsync("s-0", new LlmResponse($"prompt {i}", $"answer {i}"));
                }

                await manager.SaveStageCheckpointAsync("s-0", StageStatus.Completed, result: 0);
            }

            var stored = await new FileSystemCheckpointRepository(directory).LoadAsync(CardId);
            stored!.CompletedStages.Should().Equal("s-0");
            stored.StageCheckpoints["s-0"].LlmResponses.Should().HaveCount(20);
        });

    /// <summary>Runs <paramref name="test"/> on a 2 MiB tmpfs mounted for it; skips, saying why, where none can be mounted.</summary>
    private async Task OnSmallTmpfsAsync(Func<string, Task> test)
    {
        using var temp = new TempDirectory();
        var mountPoint = temp.Combine("tmpfs");
        Directory.CreateDirectory(mountPoint);
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            output.WriteLine("SKIPPED: mounting a small tmpfs needs root on Linux.");
            return;
        }

        var (mounted, mountOutput) = await RunAsync("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint);
        if (!mounted)
        {
            output.WriteLine($"SKIPPED: cannot mount a tmpfs here: {mountOutput}");
            return;
        }

        try
        {
            await test(mountPoint);
        }
        finally
        {
            var (unmounted, umountOutput) = await RunAsync("umount", mountPoint);
            if (!unmounted)
            {
                output.WriteLine($"umount failed, retrying lazily: {umountOutput}");
                await RunAsync("umount", "-l", mountPoint);
            }
        }
    }

    private async Task RunOnFullDiskAsync(string directory, string fillerPath)
    {
        var repository = new FileSystemCheckpointRepository(directory);
        var manager = new CheckpointManager(CardId, repository);
        await using (manager)
        {
            await manager.CreateCheckpointAsync(totalStages: 10);
            for (var i = 0; i < 5; i++)
            {
                await manager.CacheLlmResponseAsync($"s-{i}", new LlmResponse($"prompt {i}", $"answer {i}"));
                await manager.SaveStageCheckpointAsync($"s-{i}", StageStatus.Completed, result: i);
            }

            await manager.CacheLlmResponseAsync("s-5", new LlmResponse("prompt 5", "answer 5, paid for before the disk filled"));
            var before = await new FileSystemCheckpointRepository(directory).LoadAsync(CardId);
            var snapshotPath = repository.GetSnapshotPath(CardId);
            var journalPath = Path.ChangeExtension(snapshotPath, ".journal");
            var snapshotBefore = await File.ReadAllBytesAsync(snapshotPath);
            var journalBefore = await File.ReadAllBytesAsync(journalPath);

            var filled = FillDisk(fillerPath);
            output.WriteLine($"tmpfs filled with {filled} bytes of filler");

            // Each kind of write fails with an IOException (ENOSPC); none takes the checkpoint with it.
            var big = new string('y', 256 * 1024);
            var saveError = await manager.Invoking(m => m.SaveStageCheckpointAsync("s-big", StageStatus.Completed, result: big))
                .Should().ThrowAsync<IOException>();
            output.WriteLine($"stage save: {saveError.Which.GetType().Name}: {saveError.Which.Message}");
            var cacheError = await manager.Invoking(m => m.CacheLlmResponseAsync("s-big", new LlmResponse("big prompt", big)))
                .Should().ThrowAsync<IOException>();
            output.WriteLine($"cache: {cacheError.Which.GetType().Name}: {cacheError.Which.Message}");
            var compactError = await manager.Invoking(m => m.CompactAsync()).Should().ThrowAsync<IOException>("a compaction writes a whole new snapshot");
            output.WriteLine($"compaction: {compactError.Which.GetType().Name}: {compactError.Which.Message}");

            (await File.ReadAllBytesAsync(snapshotPath)).Should().Equal(snapshotBefore, "a failed write leaves the snapshot as it was");
            RecordsOf(await File.ReadAllBytesAsync(journalPath)).Should().Equal(
                RecordsOf(journalBefore), "a failed append leaves no partial record behind (it may give back the zero-filled space after the records)");
            Directory.GetFiles(directory, "*.tmp").Should().BeEmpty("a failed snapshot write removes its temp file");

            var during = await new FileSystemCheckpointRepository(directory).LoadAsync(CardId);
            CheckpointFingerprint.Of(during).Should().Be(CheckpointFingerprint.Of(before), "the previous state still loads, whole");
            CheckpointFingerprint.Of(manager.Checkpoint).Should().Be(CheckpointFingerprint.Of(before), "the manager's state did not move past what is stored");
            manager.GetCachedLlmResponse("s-big", "big prompt").Should().BeNull("a response that was not stored is not cached");
            manager.GetCachedLlmResponse("s-5", "prompt 5").Should().NotBeNull();

            // Once there is room again, the same manager goes on, and nothing saved before was lost.
            File.Delete(fillerPath);
            await manager.SaveStageCheckpointAsync("s-5", StageStatus.Completed, result: 5);
            await manager.CompactAsync();
        }

        var after = await new FileSystemCheckpointRepository(directory).LoadAsync(CardId);
        after!.CompletedStages.Should().Equal("s-0", "s-1", "s-2", "s-3", "s-4", "s-5");
        for (var i = 0; i <= 5; i++)
        {
            after.StageCheckpoints[$"s-{i}"].LlmResponses.Select(r => r.Prompt).Should().Equal($"prompt {i}");
            after.StageCheckpoints[$"s-{i}"].GetResult<int>().Should().Be(i);
        }

        after.StageCheckpoints.Should().NotContainKey("s-big");
        after.PendingLlmResponses.Should().BeEmpty();
    }

    /// <summary>A journal without the zero-filled space after its last record.</summary>
    private static byte[] RecordsOf(byte[] journal) => journal[..(journal.AsSpan().LastIndexOfAnyExcept((byte)0) + 1)];

    /// <summary>Writes a file until the file system has no byte left.</summary>
    private static long FillDisk(string path)
    {
        using var filler = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        foreach (var size in new[] { 64 * 1024, 4096, 1 })
        {
            var chunk = new byte[size];
            try
            {
                while (true)
                {
                    filler.Write(chunk);
                }
            }
            catch (IOException)
            {
                // full at this granularity; go on with smaller writes
            }
        }

        return filler.Length;
    }

    private static async Task<(bool Succeeded, string Output)> RunAsync(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode == 0, $"exit code {process.ExitCode}: {await stdout}{await stderr}".Trim());
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (false, ex.Message);
        }
    }
}
