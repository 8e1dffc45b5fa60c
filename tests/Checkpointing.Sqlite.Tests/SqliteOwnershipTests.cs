using Checkpointing.Testing;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
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
        var time = new FakeTimeProvider(FakeClockDriver.Epoch);
        var repository = Open(new SqliteCheckpointRepositoryOptions { TimeProvider = time });
        await repository.ListCardIdsAsync();
        var expires = time.GetUtcNow().ToUnixTimeMilliseconds() + 1_500;
        Raw.Execute(
            Database.Path,
            "INSERT INTO card_owners (card_id, owner_id, acquired_at, expires_at) VALUES ('CARD-1', 'frozen-host/7/z', $now, $expires)",
            ("$now", expires - 1_500),
            ("$expires", expires));

        time.Advance(TimeSpan.FromMilliseconds(1_499));
        await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero))
            .Should().ThrowAsync<CheckpointLockedException>("the lease holds until its last millisecond");
        var waiting = repository.AcquireOwnershipAsync("CARD-1", Timeout.InfiniteTimeSpan);
        await FakeClockDriver.AdvanceUntilAsync(time, waiting, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        await using var ownership = await waiting;

        Raw.Scalar(Database.Path, "SELECT acquired_at FROM card_owners WHERE card_id = 'CARD-1'")
            .Should().BeGreaterThanOrEqualTo(expires, "the waiter took the card once the lease ran out, not before");
        ownership.OwnerId.Should().MatchRegex("^[^/]+/[0-9]+/[0-9a-f]{32}$", "every store writes owner ids as machine/pid/guid");
    }

    [Fact]
    public async Task LeaseHeld_IsRenewedPastItsDuration()
    {
        var time = new FakeTimeProvider(FakeClockDriver.Epoch);
        var options = new SqliteCheckpointRepositoryOptions { LeaseDuration = TimeSpan.FromMilliseconds(1_500), TimeProvider = time };
        var owner = Open(options);
        var other = Open(options);
        await using var ownership = await owner.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        long Expiry() => Raw.Scalar(Database.Path, "SELECT expires_at FROM card_owners");
        Expiry().Should().Be(time.GetUtcNow().ToUnixTimeMilliseconds() + 1_500);

        for (var renewal = 1; renewal <= 8; renewal++)
        {
            time.Advance(TimeSpan.FromMilliseconds(500)); // a third of the lease: one renewal
            var expected = time.GetUtcNow().ToUnixTimeMilliseconds() + 1_500;
            (await FakeClockDriver.WhenAsync(() => Expiry() == expected)).Should().BeTrue($"renewal {renewal} moves the expiry to now + the lease");
        }

        await FluentActions.Awaiting(() => other.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero)).Should().ThrowAsync<CheckpointLockedException>();
        await owner.SaveAsync(CheckpointSamples.Minimal("CARD-1"));
    }

    [Fact]
    public async Task FrozenOwner_LosesItsLease_AndItsWritesAreRefused()
    {
        // The frozen owner's timers never fire: it stops renewing, as a process stopped in a debugger or by SIGSTOP would.
        var time = new FakeTimeProvider(FakeClockDriver.Epoch);
        var frozen = Open(new SqliteCheckpointRepositoryOptions { LeaseDuration = TimeSpan.FromMilliseconds(500), TimeProvider = new FrozenTimers(time) });
        var next = Open(new SqliteCheckpointRepositoryOptions { LeaseDuration = TimeSpan.FromSeconds(30), TimeProvider = time });
        var stale = await frozen.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        var checkpoint = CheckpointSamples.Checkpoint("CARD-1");
        await frozen.SaveAsync(checkpoint);

        var taking = next.AcquireOwnershipAsync("CARD-1", Timeout.InfiniteTimeSpan);
        await FakeClockDriver.AdvanceUntilAsync(time, taking, TimeSpan.FromMilliseconds(25), TimeSpan.FromMinutes(1));
        time.GetUtcNow().Should().BeOnOrAfter(FakeClockDriver.Epoch.AddMilliseconds(500), "the card is free only once the frozen lease ran out");
        await using (var taken = await taking)
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

    /// <summary>The clock of <paramref name="time"/>, with timers that never fire.</summary>
    private sealed class FrozenTimers(TimeProvider time) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => time.GetUtcNow();

        public override long GetTimestamp() => time.GetTimestamp();

        public override long TimestampFrequency => time.TimestampFrequency;

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
