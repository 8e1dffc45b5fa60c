using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// A journal reserves the disk its appends are to fill (up to a few times the snapshot), past its end. The owner keeps
/// that reservation while it works on the card and gives it back when it lets go, a step at a time, with the bytes
/// unchanged; a file that holds a reservation is freed a step at a time when it is replaced or deleted, however short it is.
/// </summary>
public sealed class DiskReservationTests : IDisposable
{
    private const string CardId = "CARD-1";
    private const long Reservation = 6L << 20;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ReleasingACard_GivesBackTheDiskItsJournalReservedPastItsEnd_AndKeepsTheCard()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the reservation and the disk a file holds are read on Linux only
        }

        var repository = new FileSystemCheckpointRepository(_temp.Path, new FileSystemCheckpointRepositoryOptions { MinCompactionBytes = Reservation });
        var journal = Path.Combine(_temp.Path, CardId + ".journal");
        var checkpoint = Stages.Checkpoint(CardId);
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            await repository.SaveAsync(checkpoint);
            HeldPastTheEnd(journal).Should().BeGreaterThanOrEqualTo(Reservation - FileSpace.BlockBytes, "the owner reserves what the appends are to fill");
        }

        HeldPastTheEnd(journal).Should().Be(0, "a card nobody owns holds no disk it does not use");
        (await repository.LoadAsync(CardId)).Should().BeEquivalentTo(checkpoint);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(100L)]
    public async Task Shrink_FreesAReservationPastTheEnd_AndKeepsTheBytesBelowTheLength(long length)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var path = _temp.Combine("reserved");
        var bytes = Enumerable.Range(0, 100).Select(i => (byte)(i + 1)).ToArray();
        using (var file = DurableFile.CreateNew(path, Reservation))
        {
            await file.WriteAsync(bytes);
            FileSpace.AllocatedBytes(file.SafeFileHandle).Should().BeGreaterThanOrEqualTo(Reservation);
            FileSpace.ReservedEnd(file).Should().BeGreaterThanOrEqualTo(Reservation);

            RetiredFile.Shrink(file, length, RetiredFile.StepBytes);

            file.Length.Should().Be(length);
            FileSpace.AllocatedBytes(file.SafeFileHandle).Should().BeLessThanOrEqualTo(FileSpace.RoundUp(length));
        }

        (await File.ReadAllBytesAsync(path)).Should().Equal(bytes[..(int)length]);
    }

    [Fact]
    public async Task AShortFileThatHoldsAReservation_IsKeptToBeFreedAStepAtATime()
    {
        var path = _temp.Combine("reserved");
        using (var file = DurableFile.CreateNew(path, Reservation))
        {
            await file.WriteAsync(new byte[40]);
        }

        var retired = RetiredFile.Keep(path);

        if (!OperatingSystem.IsLinux())
        {
            retired.Should().BeNull();
            return;
        }

        retired.Should().NotBeNull("40 bytes long, it holds megabytes of disk");
        File.Delete(path);
        retired!.Release();
        Directory.GetFiles(_temp.Path).Should().BeEmpty();
    }

    [Fact]
    public void ReservedEnd_OfAFileWithoutAReservation_IsItsLength()
    {
        var path = _temp.Combine("dense");
        File.WriteAllBytes(path, new byte[10_000]);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read);

        FileSpace.ReservedEnd(file).Should().Be(10_000);
    }

    /// <summary>The disk the file holds past its length, rounded to a block (what a reservation leaves).</summary>
    private static long HeldPastTheEnd(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Math.Max(0, FileSpace.AllocatedBytes(file.SafeFileHandle) - FileSpace.RoundUp(file.Length));
    }
}
