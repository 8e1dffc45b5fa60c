using Checkpointing.Testing;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Sqlite.Tests;

/// <summary>The database and the files SQLite keeps beside it are private to their user, as the file store's files are.</summary>
public sealed class SqliteFileModeTests : SqliteTestBase
{
    [Fact]
    public async Task DatabaseWalAndShmFiles_AreCreatedReadableByTheirOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // no Unix modes
        }

        var repository = Open();
        await repository.SaveAsync(CheckpointSamples.Checkpoint("CARD-1"));

        // The pooled connection keeps the database open, so the -wal and -shm files exist now.
        foreach (var file in new[] { Database.Path, Database.Path + "-wal", Database.Path + "-shm" })
        {
            File.Exists(file).Should().BeTrue(file);
            File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, $"{file} can hold prompts and answers");
        }
    }

    [Fact]
    public async Task ExistingDatabase_KeepsItsMode()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await File.WriteAllBytesAsync(Database.Path, []);
        File.SetUnixFileMode(Database.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        await Open().SaveAsync(CheckpointSamples.Checkpoint("CARD-1"));

        File.GetUnixFileMode(Database.Path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, "the store does not change a mode its user chose");
    }
}
