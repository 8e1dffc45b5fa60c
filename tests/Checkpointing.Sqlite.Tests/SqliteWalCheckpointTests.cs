using Checkpointing.Testing;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// SQLite's WAL checkpoints run off the writers' path: no commit copies the log into the database file (SQLite's own
/// auto-checkpoint would, in the save that crosses 1000 pages); the store runs a passive checkpoint in the background,
/// one at a time, once enough has been written.
/// </summary>
public sealed class SqliteWalCheckpointTests : SqliteTestBase
{
    private const int ResponseBytes = 64 * 1024;

    [Fact]
    public async Task Saves_NeverCheckpointTheLog_TheBackgroundDoesOnceEnoughIsWritten()
    {
        var repository = Open(new SqliteCheckpointRepositoryOptions { MinCompactionBytes = long.MaxValue, WalCheckpointBytes = 1024 * 1024 });
        var requested = new List<Func<Task>>();
        repository.Database.WalCheckpoints.StartBackground = work =>
        {
            requested.Add(work);
            return Task.CompletedTask;
        };

        var checkpoint = await SaveAsync(repository, CheckpointSamples.Minimal("CARD-1"), 8 * 1024 * 1024);

        requested.Should().HaveCountGreaterThanOrEqualTo(7, "a checkpoint is requested for every 1 MB written");
        new FileInfo(Database.Path + "-wal").Length.Should().BeGreaterThan(
            7L * 1024 * 1024, "no commit checkpointed the log (SQLite's auto-checkpoint would restart it at about 4 MB)");
        new FileInfo(Database.Path).Length.Should().BeLessThan(1024 * 1024, "nothing is copied into the database file yet");

        await requested[0]();

        new FileInfo(Database.Path).Length.Should().BeGreaterThan(7L * 1024 * 1024, "the background checkpoint copied the log into the database");
        var (busy, log, checkpointed) = Checkpoint();
        (busy, checkpointed).Should().Be((0L, log), "every frame of the log is in the database file");
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task OneCheckpointRunsAtATime_AndTheNextStartsAfterItWithTheWritesSince()
    {
        var repository = Open(new SqliteCheckpointRepositoryOptions { MinCompactionBytes = long.MaxValue, WalCheckpointBytes = 1024 * 1024 });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new List<Task>();
        repository.Database.WalCheckpoints.StartBackground = work =>
        {
            var running = HeldAsync(work, release.Task);
            started.Add(running);
            return running;
        };

        var checkpoint = await SaveAsync(repository, CheckpointSamples.Minimal("CARD-1"), 3 * 1024 * 1024);
        started.Should().HaveCount(1, "writes past the threshold while a checkpoint runs start no other");

        release.SetResult();
        await started[0].WaitAsync(TimeSpan.FromMinutes(2));
        Checkpoint().Checkpointed.Should().BeGreaterThan(0);
        await SaveAsync(repository, checkpoint, 64 * 1024);
        started.Should().HaveCount(2, "the writes made while it ran count towards the next one, which starts with the first write after it");
    }

    private static async Task HeldAsync(Func<Task> work, Task release)
    {
        await release;
        await work();
    }

    [Fact]
    public async Task AFoldsChunks_WaitForTheRunningCheckpoint_OnlyOnceFarAheadOfIt()
    {
        var repository = Open(new SqliteCheckpointRepositoryOptions { WalCheckpointBytes = 100 });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checkpoints = repository.Database.WalCheckpoints;
        checkpoints.StartBackground = work => HeldAsync(work, release.Task);

        checkpoints.CommittedInBackgroundAsync(100).IsCompleted.Should().BeTrue("the first checkpoint starts in the background");
        for (var i = 0; i < 3; i++)
        {
            checkpoints.CommittedInBackgroundAsync(100).IsCompleted.Should().BeTrue("the writer may get a few thresholds ahead");
        }

        var behind = checkpoints.CommittedInBackgroundAsync(100);
        behind.IsCompleted.Should().BeFalse("four thresholds ahead of the running checkpoint, the writer waits for it");
        release.SetResult();
        await behind.WaitAsync(TimeSpan.FromMinutes(2));
        checkpoints.CommittedInBackgroundAsync(100).IsCompleted.Should().BeTrue("the next checkpoint starts, again in the background");
    }

    [Fact]
    public async Task Connections_DoNotCheckpointInsideACommit()
    {
        var repository = Open();
        await repository.SaveAsync(CheckpointSamples.Minimal("CARD-1"));

        var setting = await repository.Database.ExecuteAsync(
            async connection =>
            {
                using var command = SqliteDatabase.Command(connection, null, "PRAGMA wal_autocheckpoint");
                return (long)(await command.ExecuteScalarAsync())!;
            },
            CancellationToken.None);

        setting.Should().Be(0);
    }

    private static async Task<PipelineCheckpoint> SaveAsync(SqliteCheckpointRepository repository, PipelineCheckpoint checkpoint, long bytes)
    {
        if (checkpoint.Version == 1)
        {
            await repository.SaveAsync(checkpoint);
        }

        for (var written = 0L; written < bytes; written += ResponseBytes)
        {
            var change = new LlmResponseCached(
                checkpoint.Version + 1, CheckpointSamples.At(1), "stage", CheckpointSamples.LargeResponse($"prompt {checkpoint.Version}", ResponseBytes));
            var applied = new AppliedChange(checkpoint, change);
            await repository.SaveChangeAsync(applied);
            checkpoint = applied.Checkpoint;
        }

        return checkpoint;
    }

    /// <summary>Runs a passive checkpoint on a connection of the test's own: (blocked, frames in the log, frames in the database).</summary>
    private (long Busy, long Log, long Checkpointed) Checkpoint()
    {
        using var connection = Raw.Open(Database.Path);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}
