using Checkpointing.Ownership;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Checkpointing.Tests.Ownership;

/// <summary>The shared lease model on a fake clock: one renewal per third of the lease, lost once refused, stopped without a race.</summary>
public sealed class LeaseRenewalTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(FakeClockDriver.Epoch);
    private int _renewals;
    private int _lostCalls;

    [Fact]
    public async Task RenewsOncePerThirdOfTheLease_AndNotBefore()
    {
        var lease = NewLease();
        var renewal = Start(lease, (_, _) => Task.FromResult(true));

        _time.Advance(Duration / 3 - TimeSpan.FromTicks(1));
        (await Eventually(() => _renewals > 0, turns: 50)).Should().BeFalse("a third of the lease has not passed yet");
        _time.Advance(TimeSpan.FromTicks(1));
        (await FakeClockDriver.WhenAsync(() => _renewals == 1)).Should().BeTrue();
        _time.Advance(Duration / 3);
        (await FakeClockDriver.WhenAsync(() => _renewals == 2)).Should().BeTrue();

        await renewal.StopAsync();
        _time.Advance(Duration);
        (await Eventually(() => _renewals > 2, turns: 50)).Should().BeFalse("a stopped renewal never runs again");
    }

    [Fact]
    public async Task RefusedRenewal_MarksTheLeaseLostOnce_AndEndsRenewal()
    {
        var lease = NewLease();
        var renewal = Start(lease, (_, _) => Task.FromResult(false));

        _time.Advance(Duration / 3);
        (await FakeClockDriver.WhenAsync(() => _lostCalls == 1)).Should().BeTrue();
        lease.IsLost.Should().BeTrue();
        lease.IsHeld.Should().BeTrue("the handle still holds a lost lease: its writes stay fenced until it is released");
        lease.IsActive.Should().BeFalse();
        _time.Advance(Duration);
        (await Eventually(() => _renewals > 1, turns: 50)).Should().BeFalse("renewal ends once the lease is lost");
        _lostCalls.Should().Be(1);
        await renewal.StopAsync();
    }

    [Fact]
    public async Task Stop_WaitsForTheRenewalInFlight()
    {
        var inFlight = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lease = NewLease();
        var renewal = Start(lease, (_, _) => inFlight.Task);

        _time.Advance(Duration / 3);
        (await FakeClockDriver.WhenAsync(() => _renewals == 1)).Should().BeTrue();
        var stopping = renewal.StopAsync();
        (await Eventually(() => stopping.IsCompleted, turns: 50)).Should().BeFalse("a release must not race the renewal in flight");
        inFlight.SetResult(true);
        await stopping;
    }

    [Fact]
    public void Handles_AClaimIsAdoptedOnce_AndReleasedWithItsLastHandle()
    {
        var claimed = new HeldLease("CARD-1", "worker", token: 7, Duration, _time.GetUtcNow() + Duration, adoptable: true, active: true);

        claimed.TryAdopt().Should().BeTrue();
        claimed.TryAdopt().Should().BeFalse("one manager at a time may adopt a claim");
        claimed.DropHandle(adopter: true).Should().BeFalse("the claim still holds it");
        claimed.TryAdopt().Should().BeTrue("the adopter let go, so another may adopt it");
        claimed.DropHandle(adopter: false).Should().BeFalse();
        claimed.DropHandle(adopter: true).Should().BeTrue("the last handle releases the lease");
        claimed.IsReleased.Should().BeTrue();
        claimed.TryAdopt().Should().BeFalse("a released lease cannot be adopted");

        var acquired = new HeldLease("CARD-2", "worker", token: 0, Duration, _time.GetUtcNow() + Duration, adoptable: false, active: false);
        acquired.IsHeld.Should().BeFalse("a pending lease is not yet the card's");
        acquired.TryAdopt().Should().BeFalse();
        acquired.Activate();
        acquired.IsActive.Should().BeTrue();
        acquired.DropHandle(adopter: false).Should().BeTrue();
        acquired.TryRelease().Should().BeFalse("a lease is released once");
    }

    private static async Task<bool> Eventually(Func<bool> condition, int turns)
    {
        for (var turn = 0; turn < turns; turn++)
        {
            if (condition())
            {
                return true;
            }

            await Task.Yield();
        }

        return condition();
    }

    private HeldLease NewLease() => new("CARD-1", "owner", token: 0, Duration, _time.GetUtcNow() + Duration, adoptable: false, active: true);

    private LeaseRenewal Start(HeldLease lease, Func<HeldLease, CancellationToken, Task<bool>> renewOnce)
    {
        var renewal = new LeaseRenewal(
            lease,
            (held, token) =>
            {
                Interlocked.Increment(ref _renewals);
                return renewOnce(held, token);
            },
            _ => Interlocked.Increment(ref _lostCalls),
            _time);
        lease.StartRenewal(renewal);
        return renewal;
    }
}
