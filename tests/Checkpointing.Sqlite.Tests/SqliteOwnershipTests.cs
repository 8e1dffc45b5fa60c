using System.Diagnostics;
using Checkpointing.Testing;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Sqlite.Tests;

/// <summary>Ownership leases: renewed while held, taken over once a dead or frozen owner lets them run out, and fencing the old owner's writes.</summary>
public sealed class SqliteOwnershipTests : SqliteTestBase
{
    [Fact]
    public async Task ExpiredLeaseOfADeadProcess_IsTakenOverAtOnce()
    {
        var repository = Open();
        await repository.ListCardIdsAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Raw.Execute(
            Database.Path,
            "INSERT INTO card_owners (card_id, owner_id, acquired_at, expires_at) VALUES ('CARD-1', 'dead-host/4242/gone', $acquired, $expires)",
            ("$acquired", now - 60_000),
            ("$expires", now - 1_000));

        await using var ownership = await repository.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);

        Raw.Text(Database.Path, "SELECT owner_id FROM card_owners WHERE card_id = 'CARD-1'").Should().StartWith($"{Environment.MachineName}/{Environment.ProcessId}/");
        await repository.SaveAsync(CheckpointSamples.Minimal("CARD-1"));
    }

    [Fact]
    public async Task WriteWithoutOwnership_IgnoresAnExpiredLease_AndIsRefusedByALiveOne()
    {
        var repository = Open();
        await repository.ListCardIdsAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Raw.Execute(
            Database.Path,
            "INSERT INTO card_owners (card_id, owner_id, acquired_at, expires_at) VALUES ('DEAD', 'dead-host/1/x', $now, $expired), ('LIVE', 'live-host/2/y', $now, $live)",
            ("$now", now),
            ("$expired", now - 1),
            ("$live", now + 60_000));

        await repository.SaveAsync(CheckpointSamples.Minimal("DEAD"));
        await FluentActions.Awaiting(() => repository.SaveAsync(CheckpointSamples.Minimal("LIVE"))).Should().ThrowAsync<CheckpointLockedException>();
        (await repository.ExistsAsync("LIVE")).Should().BeFalse();
    }

    [Fact]
    public async Task LiveLeaseOfAnotherProcess_BlocksUntilItExpires()
    {
        var repository = Open();
        await repository.ListCardIdsAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Raw.Execute(
            Database.Path,
            "INSERT INTO card_owners (card_id, owner_id, acquired_at, expires_at) VALUES ('CARD-1', 'frozen-host/7/z', $now, $expires)",
            ("$now", now),
            ("$expires", now + 1_500));

        await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero)).Should().ThrowAsync<CheckpointLockedException>();
        var watch = Stopwatch.StartNew();
        await using var ownership = await repository.AcquireOwnershipAsync("CARD-1", TimeSpan.FromSeconds(20));

        watch.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(1_000)).And.BeLessThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task LeaseHeld_IsRenewedPastItsDuration()
    {
        var options = new SqliteCheckpointRepositoryOptions { LeaseDuration = TimeSpan.FromMilliseconds(1_500) };
        var owner = Open(options);
        var other = Open(options);
        await using var ownership = await owner.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        var firstExpiry = Raw.Scalar(Database.Path, "SELECT expires_at FROM card_owners");

        await Task.Delay(4_000);

        await FluentActions.Awaiting(() => other.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero)).Should().ThrowAsync<CheckpointLockedException>();
        Raw.Scalar(Database.Path, "SELECT expires_at FROM card_owners").Should().BeGreaterThan(firstExpiry + 2_000);
        await owner.SaveAsync(CheckpointSamples.Minimal("CARD-1"));
    }

    [Fact]
    public async Task FrozenOwner_LosesItsLease_AndItsWritesAreRefused()
    {
        // The frozen owner's timers never fire: it stops renewing, as a process stopped in a debugger or by SIGSTOP would.
        var frozen = Open(new SqliteCheckpointRepositoryOptions { LeaseDuration = TimeSpan.FromMilliseconds(500), TimeProvider = new FrozenTimers() });
        var next = Open(new SqliteCheckpointRepositoryOptions { LeaseDuration = TimeSpan.FromSeconds(30) });
        var stale = await frozen.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        var checkpoint = CheckpointSamples.Checkpoint("CARD-1");
        await frozen.SaveAsync(checkpoint);

        await using (var taken = await next.AcquireOwnershipAsync("CARD-1", TimeSpan.FromSeconds(20)))
        {
            var change = new CurrentStageSet(2, CheckpointSamples.At(50), "new owner");
            var applied = new AppliedChange(checkpoint, change);
            checkpoint = applied.Checkpoint;
            await next.SaveChangeAsync(applied);

            var late = new CurrentStageSet(3, CheckpointSamples.At(51), "frozen owner woke up");
            var refused = (await FluentActions.Awaiting(() => frozen.SaveChangeAsync(new AppliedChange(checkpoint, late)))
                .Should().ThrowAsync<CheckpointLockedException>()).Which;
            refused.InnerException!.Message.Should().Contain("lease ran out");
        }

        var after = new CurrentStageSet(3, CheckpointSamples.At(52), "still fenced");
        await FluentActions.Awaiting(() => frozen.SaveChangeAsync(new AppliedChange(checkpoint, after)))
            .Should().ThrowAsync<CheckpointLockedException>("an owner that lost its lease stays fenced until it lets go of the handle");
        (await next.LoadAsync("CARD-1")).ShouldMatch(checkpoint, "only the new owner's write went in");

        await stale.DisposeAsync();
        var released = new AppliedChange(checkpoint, after);
        checkpoint = released.Checkpoint;
        await frozen.SaveChangeAsync(released);
        (await next.LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    /// <summary>The system clock, with timers that never fire.</summary>
    private sealed class FrozenTimers : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NeverFires();

        private sealed class NeverFires : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
