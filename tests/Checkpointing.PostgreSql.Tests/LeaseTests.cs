using System.Diagnostics;
using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Testing;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>Leases on the database clock, claims, renewal, adoption by a manager, and fencing of a worker that lost its lease.</summary>
public sealed class LeaseTests : IAsyncLifetime
{
    private static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(2);
    private readonly string _schema = PostgresServer.NewSchema("lease");
    private readonly List<PostgreSqlCheckpointRepository> _repositories = [];
    private PostgresServer _server = null!;

    public async Task InitializeAsync() => _server = await PostgresServer.GetAsync();

    public async Task DisposeAsync()
    {
        foreach (var repository in _repositories)
        {
            await repository.DisposeAsync();
        }

        await _server.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
    }

    [Fact]
    public async Task FrozenWorker_WhoseLeaseExpired_IsFencedOff_AndTheNewOwnersStateIsIntact()
    {
        var cardId = await CreateResumableCardAsync("fenced");
        var workerA = NewRepository("worker-a");
        var workerB = NewRepository("worker-b");

        // A claims the card and works on it under a short lease.
        var claimA = (await workerA.ClaimNextResumableAsync("worker-a", ShortLease))!;
        claimA.CardId.Should().Be(cardId);
        var managerA = new CheckpointManager(cardId, workerA);
        await managerA.ResumeAsync();
        await managerA.SaveStageCheckpointAsync("extract", StageStatus.Completed, result: "by A");

        // A freezes: its renewal stops, as in a long GC pause. B gets the card once the lease expired on the database clock.
        workerA.SuspendLeaseRenewal(cardId);
        var claimB = await ClaimWhenAvailableAsync(workerB, "worker-b", TimeSpan.FromSeconds(20));
        claimB.CardId.Should().Be(cardId);
        claimB.FencingToken.Should().BeGreaterThan(claimA.FencingToken);
        (claimB.LeaseExpiresAt - claimB.LeaseDuration).Should().BeOnOrAfter(claimA.LeaseExpiresAt, "not before A's lease expired");
        await using var managerB = new CheckpointManager(cardId, workerB);
        await managerB.ResumeAsync();
        await managerB.SaveStageCheckpointAsync("extract", StageStatus.Completed, result: "by B");
        var stateOfB = (await NewRepository("reader").LoadAsync(cardId))!;

        // A wakes up and writes: every write is refused, naming the card and both tokens, and nothing of A's lands.
        var lost = (await FluentActions.Awaiting(() => managerA.SaveStageCheckpointAsync("classify", StageStatus.Completed, result: "by A, too late"))
            .Should().ThrowAsync<CheckpointLeaseLostException>()).Which;
        lost.CardId.Should().Be(cardId);
        lost.HeldToken.Should().Be(claimA.FencingToken);
        lost.CurrentToken.Should().Be(claimB.FencingToken);
        lost.CurrentOwner.Should().Be("worker-b");
        lost.Message.Should().Contain(cardId).And.Contain($"token {claimA.FencingToken}").And.Contain($"token is {claimB.FencingToken}");
        await FluentActions.Awaiting(() => managerA.CacheLlmResponseAsync("classify", new LlmResponse("q", "a"))).Should().ThrowAsync<CheckpointLeaseLostException>();
        await FluentActions.Awaiting(() => managerA.MarkFailedAsync("A gives up")).Should().ThrowAsync<CheckpointLeaseLostException>();
        await FluentActions.Awaiting(() => workerA.DeleteAsync(cardId)).Should().ThrowAsync<CheckpointLeaseLostException>();
        claimA.IsLost.Should().BeTrue();
        await managerA.DisposeAsync();
        await claimA.DisposeAsync();

        (await NewRepository("reader").LoadAsync(cardId)).ShouldMatch(stateOfB, "B's state is intact after A's refused writes and A's dispose");
        (await NewRepository("reader").LoadAsync(cardId))!.StageCheckpoints["extract"].GetResult<string>().Should().Be("by B");
        await FluentActions.Awaiting(() => NewRepository("intruder").AcquireOwnershipAsync(cardId, TimeSpan.Zero))
            .Should().ThrowAsync<CheckpointLockedException>("A's dispose must not release B's lease");
        await managerB.SaveStageCheckpointAsync("classify", StageStatus.Completed, result: "by B");
        await claimB.DisposeAsync();
    }

    [Fact]
    public async Task StaleHolder_WhoseWritesStillMatchTheVersion_IsRefusedByTheFencingTokenAlone()
    {
        // The new owner has taken the card but not written yet, so the stale holder's writes are version-valid:
        // only the fencing token can refuse them.
        var cardId = $"token-only-{Guid.NewGuid():N}";
        var stale = NewRepository("stale", ShortLease);
        var staleLease = await stale.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        var checkpoint = Samples.Checkpoint(cardId);
        await stale.SaveAsync(checkpoint);
        stale.LeaseRenewalSuspended = true;
        var successor = NewRepository("successor", TimeSpan.FromSeconds(30));
        await using var successorLease = await successor.AcquireOwnershipAsync(cardId, TimeSpan.FromSeconds(20));

        var change = new CurrentStageSet(2, Samples.At(1), "stale");
        await FluentActions.Awaiting(() => stale.SaveChangeAsync(new AppliedChange(checkpoint, change))).Should().ThrowAsync<CheckpointLeaseLostException>();
        await FluentActions.Awaiting(() => stale.SaveAsync(Samples.Checkpoint(cardId, version: 2))).Should().ThrowAsync<CheckpointLeaseLostException>();
        await FluentActions.Awaiting(() => stale.DeleteAsync(cardId)).Should().ThrowAsync<CheckpointLeaseLostException>();
        staleLease.IsLost.Should().BeTrue();
        (await successor.LoadAsync(cardId)).ShouldMatch(checkpoint, "no stale write landed");

        var next = new CurrentStageSet(2, Samples.At(2), "successor");
        await successor.SaveChangeAsync(new AppliedChange(checkpoint, next));
        (await stale.LoadAsync(cardId))!.CurrentStage.Should().Be("successor");
        await staleLease.DisposeAsync();
        await successor.SaveChangeAsync(new AppliedChange(next.ApplyTo(checkpoint), new CurrentStageSet(3, Samples.At(3), "still mine")));
    }

    [Fact]
    public async Task Renewal_KeepsTheLeaseBeyondItsDuration_AndReleaseFreesTheCardAtOnce()
    {
        // Renewals run on the client's clock (a fake one here), expiry on the database's: each third of the lease moved
        // on the fake clock is one renewal, which moves the expiry the database grants.
        var cardId = $"renewed-{Guid.NewGuid():N}";
        var time = new FakeTimeProvider(FakeClockDriver.Epoch);
        var lease = TimeSpan.FromSeconds(30);
        var holder = NewRepository("holder", lease, time);
        var ownership = await holder.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        var expiry = ownership.LeaseExpiresAt;

        for (var renewal = 1; renewal <= 4; renewal++)
        {
            time.Advance(lease / 3);
            var before = expiry;
            (await FakeClockDriver.WhenAsync(() => ownership.LeaseExpiresAt > before)).Should().BeTrue($"renewal {renewal} moves the expiry on");
            expiry = ownership.LeaseExpiresAt;
        }

        await FluentActions.Awaiting(() => NewRepository("other").AcquireOwnershipAsync(cardId, TimeSpan.Zero))
            .Should().ThrowAsync<CheckpointLockedException>("the holder renewed its lease past its first expiry");
        ownership.IsLost.Should().BeFalse();
        await ownership.DisposeAsync();
        await using var other = await NewRepository("other").AcquireOwnershipAsync(cardId, TimeSpan.Zero);
    }

    [Fact]
    public async Task AcquireWithTimeout_TakesOverALeaseThatIsNeverReleased_WhenItExpires()
    {
        var cardId = $"crashed-{Guid.NewGuid():N}";
        var crashed = NewRepository("crashed", ShortLease);
        var crashedLease = await crashed.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        crashed.LeaseRenewalSuspended = true;

        await using var taken = await NewRepository("successor").AcquireOwnershipAsync(cardId, TimeSpan.FromSeconds(20));

        var grantedAt = taken.LeaseExpiresAt - taken.LeaseDuration;
        grantedAt.Should().BeOnOrAfter(crashedLease.LeaseExpiresAt, "the card is taken only once the old lease expired on the database clock");
        taken.FencingToken.Should().Be(crashedLease.FencingToken + 1);
        taken.WorkerId.Should().Be("successor");
    }

    [Fact]
    public async Task WriteWithoutOwnership_IsLockedWhileALeaseIsValid_AndFencesOffAnExpiredHolder()
    {
        var cardId = $"unowned-{Guid.NewGuid():N}";
        var holder = NewRepository("holder", ShortLease);
        var lease = await holder.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        var checkpoint = Samples.Checkpoint(cardId);
        await holder.SaveAsync(checkpoint);
        var outsider = NewRepository("outsider");
        var change = new CurrentStageSet(2, Samples.At(1), "outsider");

        await FluentActions.Awaiting(() => outsider.SaveChangeAsync(new AppliedChange(checkpoint, change))).Should().ThrowAsync<CheckpointLockedException>();

        holder.LeaseRenewalSuspended = true;
        await WaitUntilAsync(async () =>
        {
            try
            {
                await outsider.SaveChangeAsync(new AppliedChange(checkpoint, change));
                return true;
            }
            catch (CheckpointLockedException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20));

        var late = new CurrentStageSet(3, Samples.At(2), "holder, late");
        await FluentActions.Awaiting(() => holder.SaveChangeAsync(new AppliedChange(change.ApplyTo(checkpoint), late)))
            .Should().ThrowAsync<CheckpointLeaseLostException>("a write without ownership moved the token on");
        lease.IsLost.Should().BeTrue();
        (await outsider.LoadAsync(cardId))!.CurrentStage.Should().Be("outsider");
        await lease.DisposeAsync();
    }

    [Fact]
    public async Task ManagerCreatedAfterAClaim_UsesTheClaimsLease_AndTheCardIsFreedWhenBothAreDisposed()
    {
        var cardId = await CreateResumableCardAsync("adopted");
        var worker = NewRepository("worker");
        var claim = (await worker.ClaimNextResumableAsync("worker", TimeSpan.FromSeconds(30)))!;

        var manager = new CheckpointManager(cardId, worker);
        var resumed = await manager.ResumeAsync();
        resumed!.Status.Should().Be(CheckpointStatus.Resumed);
        await FluentActions.Awaiting(() => worker.AcquireOwnershipAsync(cardId, TimeSpan.Zero))
            .Should().ThrowAsync<CheckpointLockedException>("the manager uses the claim; no second handle may");
        await manager.SaveStageCheckpointAsync("extract", StageStatus.Completed);
        await manager.DisposeAsync();

        await FluentActions.Awaiting(() => NewRepository("other").AcquireOwnershipAsync(cardId, TimeSpan.Zero))
            .Should().ThrowAsync<CheckpointLockedException>("the claim still holds the card after the manager is gone");
        await using (var again = new CheckpointManager(cardId, worker))
        {
            (await again.ResumeAsync())!.ResumeCount.Should().Be(2, "a second manager may use the claim once the first let go");
        }

        await claim.DisposeAsync();
        await using var other = await NewRepository("other").AcquireOwnershipAsync(cardId, TimeSpan.Zero);
    }

    [Fact]
    public async Task ConcurrentClaimers_EachCardIsClaimedExactlyOnce_AndOnlyResumableUnownedCardsAreHandedOut()
    {
        var cards = new List<string>();
        for (var i = 0; i < 24; i++)
        {
            cards.Add(await CreateResumableCardAsync($"pool-{i:00}"));
        }

        var completed = await CreateResumableCardAsync("done", CheckpointStatus.Completed);
        var held = await CreateResumableCardAsync("held");
        await using var holding = await NewRepository("holder").AcquireOwnershipAsync(held, TimeSpan.Zero);

        var claimers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            var repository = NewRepository($"claimer-{w}");
            var mine = new List<CardClaim>();
            while (await repository.ClaimNextResumableAsync($"claimer-{w}", TimeSpan.FromSeconds(30)) is { } claim)
            {
                mine.Add(claim);
            }

            return mine;
        })).ToArray();
        var claims = (await Task.WhenAll(claimers)).SelectMany(x => x).ToList();

        claims.Select(c => c.CardId).Should().BeEquivalentTo(cards, "every resumable, unowned card once; not the completed or the held one")
            .And.NotContain([completed, held]);
        claims.Select(c => c.FencingToken).Should().OnlyContain(t => t >= 1);
        foreach (var claim in claims)
        {
            await claim.DisposeAsync();
        }
    }

    private PostgreSqlCheckpointRepository NewRepository(string workerId, TimeSpan? leaseDuration = null, TimeProvider? time = null)
    {
        var repository = new PostgreSqlCheckpointRepository(
            _server.DataSource,
            new PostgreSqlCheckpointRepositoryOptions
            {
                Schema = _schema, WorkerId = workerId, LeaseDuration = leaseDuration ?? ShortLease, TimeProvider = time ?? TimeProvider.System,
            });
        lock (_repositories)
        {
            _repositories.Add(repository);
        }

        return repository;
    }

    private async Task<string> CreateResumableCardAsync(string name, CheckpointStatus status = CheckpointStatus.Active)
    {
        var cardId = $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];
        await NewRepository("setup").SaveAsync(Samples.Checkpoint(cardId) with { Status = status });
        return cardId;
    }

    private static async Task<CardClaim> ClaimWhenAvailableAsync(PostgreSqlCheckpointRepository repository, string workerId, TimeSpan timeout)
    {
        CardClaim? claim = null;
        await WaitUntilAsync(async () => (claim = await repository.ClaimNextResumableAsync(workerId, ShortLease)) is not null, timeout);
        return claim!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            watch.Elapsed.Should().BeLessThan(timeout, "the condition should hold within {0}", timeout);
            await Task.Delay(100);
        }
    }
}
