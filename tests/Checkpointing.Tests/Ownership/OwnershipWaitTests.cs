using Checkpointing.Ownership;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Checkpointing.Tests.Ownership;

/// <summary>The polling wait every leasing store uses, on a fake clock: a try every poll interval until the timeout, exactly.</summary>
public sealed class OwnershipWaitTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);
    private readonly FakeTimeProvider _time = new(FakeClockDriver.Epoch);
    private int _tries;

    [Fact]
    public async Task HeldCard_IsTriedEveryPollInterval_ThenLockedAtTheTimeout()
    {
        var waiting = Wait(succeedOnTry: int.MaxValue, TimeSpan.FromMilliseconds(100));

        for (var tries = 2; tries <= 5; tries++)
        {
            _time.Advance(Poll);
            (await FakeClockDriver.WhenAsync(() => Volatile.Read(ref _tries) == tries)).Should().BeTrue();
        }

        var locked = (await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<CheckpointLockedException>()).Which;
        locked.Message.Should().Contain("waited 100 ms");
        _tries.Should().Be(5, "tries at 0, 25, 50, 75 and 100 ms");
    }

    [Fact]
    public async Task FreedCard_IsTakenAtTheNextTry_ReportingTheWait()
    {
        var waiting = Wait(succeedOnTry: 3, Timeout.InfiniteTimeSpan);

        for (var tries = 2; tries <= 3; tries++)
        {
            _time.Advance(Poll);
            (await FakeClockDriver.WhenAsync(() => Volatile.Read(ref _tries) == tries)).Should().BeTrue();
        }

        var (handle, waited) = await waiting;

        handle.Should().Be("taken");
        waited.Should().Be(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task ZeroTimeout_TriesOnce()
    {
        await FluentActions.Awaiting(() => Wait(succeedOnTry: 2, TimeSpan.Zero)).Should().ThrowAsync<CheckpointLockedException>();
        _tries.Should().Be(1);
    }

    [Fact]
    public async Task ZeroTimeout_ASlowTry_IsNotReportedAsAWait()
    {
        var slowTry = OwnershipWait.PollAsync<string>(
            _ =>
            {
                _time.Advance(TimeSpan.FromMilliseconds(343)); // connecting and checking the schema, say
                return Task.FromResult<string?>(null);
            },
            (waited, _) => Task.FromResult<Exception>(new CheckpointLockedException("CARD-1", "test", waited)),
            TimeSpan.Zero,
            Poll,
            _time,
            CancellationToken.None);

        var locked = (await FluentActions.Awaiting(() => slowTry).Should().ThrowAsync<CheckpointLockedException>()).Which;

        locked.Message.Should().Contain("not waited for: the timeout is zero").And.NotContain("343");
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(-1000)]
    public void NegativeTimeout_OtherThanInfinite_IsRefused(int milliseconds) =>
        FluentActions.Invoking(() => OwnershipWait.ValidateTimeout(TimeSpan.FromMilliseconds(milliseconds))).Should().Throw<ArgumentOutOfRangeException>();

    private Task<(string Handle, TimeSpan Waited)> Wait(int succeedOnTry, TimeSpan timeout) =>
        OwnershipWait.PollAsync<string>(
            _ => Task.FromResult(Interlocked.Increment(ref _tries) >= succeedOnTry ? "taken" : null),
            (waited, _) => Task.FromResult<Exception>(new CheckpointLockedException("CARD-1", "test", waited)),
            timeout,
            Poll,
            _time,
            CancellationToken.None);
}
