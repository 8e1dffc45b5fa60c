using Checkpointing.Testing;
using FluentAssertions;
using Xunit;
using static Checkpointing.Tests.Support.FoldCards;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// The writes of one repository take turns in the order they came instead of polling SQLite's write lock: a save behind
/// a fold's chunk waits for that chunk's transaction, not for SQLite's busy handler, whose growing sleeps let a fold that
/// commits chunk after chunk take the lock again and again.
/// </summary>
public sealed class SqliteWriterTurnTests : SqliteTestBase
{
    /// <summary>
    /// Longer than a save that met SQLite's lock could wait: its busy timeout (50 ms) and Microsoft.Data.Sqlite's retries
    /// for the command timeout (the busy timeout rounded up to a whole second). Guards only; nothing is timed.
    /// </summary>
    private static readonly TimeSpan LongerThanTheBusyTimeout = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task ASave_WaitsItsTurnBehindAWriteOfTheSameRepository_LongerThanTheBusyTimeout()
    {
        var repository = Open(new SqliteCheckpointRepositoryOptions { BusyTimeout = TimeSpan.FromMilliseconds(50) });
        var checkpoint = CheckpointSamples.Minimal("CARD-1");
        await repository.SaveAsync(checkpoint);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Another write of this repository (as a fold's chunk is) holds SQLite's write lock: BEGIN IMMEDIATE took it.
        var hold = repository.Database.WriteAsync(
            async (_, _) =>
            {
                holding.SetResult();
                await release.Task;
                return true;
            },
            CancellationToken.None);
        Task<PipelineCheckpoint> save;
        try
        {
            await holding.Task.WaitAsync(HangGuard);
            save = SaveResponseAsync(repository, checkpoint, "behind the held write");

            (await Task.WhenAny(save, Task.Delay(LongerThanTheBusyTimeout))).Should().NotBeSameAs(
                save, "the save waits its turn (had it met SQLite's lock it would have failed as busy by now: {0})", save.Exception?.InnerException?.Message);
        }
        finally
        {
            release.TrySetResult();
        }

        (await hold.WaitAsync(HangGuard)).Should().BeTrue();
        checkpoint = await save.WaitAsync(HangGuard);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task AWriteThatFails_GivesTheTurnToTheNext()
    {
        var repository = Open();
        var checkpoint = CheckpointSamples.Minimal("CARD-1");
        await repository.SaveAsync(checkpoint);

        await FluentActions.Awaiting(() => repository.Database.WriteAsync<bool>((_, _) => throw new IOException("the write fails"), CancellationToken.None))
            .Should().ThrowAsync<IOException>();
        using var cancellation = new CancellationTokenSource();
        await FluentActions.Awaiting(() => repository.Database.WriteAsync(
                (_, _) =>
                {
                    cancellation.Cancel(); // cancelled after the turn was taken: the write is not committed
                    return Task.FromResult(true);
                },
                cancellation.Token))
            .Should().ThrowAsync<OperationCanceledException>();

        checkpoint = await SaveResponseAsync(repository, checkpoint, "after the failed writes").WaitAsync(HangGuard);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }
}
