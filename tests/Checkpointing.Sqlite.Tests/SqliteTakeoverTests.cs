using System.Globalization;
using Checkpointing.Testing;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// Ownership after a crash, with real child processes: an owner whose process is gone from this machine is taken over at
/// once, whatever its lease says; a live owner, or one on another host, still holds the card until its lease expires.
/// Every child holds a lease far longer than the test, so a takeover can only come from the owner's death.
/// </summary>
public sealed class SqliteTakeoverTests : SqliteTestBase
{
    private const string Card = "CARD-1";
    private const int LongLeaseMs = 600_000;

    [Fact]
    public async Task OwnerKilledWithSigkill_IsTakenOverAtOnce_AndItsWritesSurvive()
    {
        using var child = await StartOwnerAsync();
        var deadOwner = OwnerId();
        var repository = Open();

        child.KillHard();
        await using var ownership = await repository.AcquireOwnershipAsync(Card, TimeSpan.Zero);

        OwnerId().Should().NotBe(deadOwner, "the dead owner's lease is superseded, as an expired one would be")
            .And.StartWith($"{Environment.MachineName}/{Environment.ProcessId}/");
        Raw.Scalar(Database.Path, "SELECT owner_pid FROM card_owners").Should().Be(Environment.ProcessId);
        var stored = (await repository.LoadAsync(Card))!;
        stored.Version.Should().Be(2);
        stored.CurrentStage.Should().Be("written by the child", "a write that returned is durable, even when its process is killed");
        var next = new CurrentStageSet(3, CheckpointSamples.At(100), "new owner");
        await repository.SaveChangeAsync(new AppliedChange(stored, next));
    }

    [Fact]
    public async Task LiveOwnerInAnotherProcess_StillBlocks_AndTheErrorNamesIt()
    {
        using var child = await StartOwnerAsync();
        var repository = Open();

        var locked = (await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync(Card, TimeSpan.FromMilliseconds(300)))
            .Should().ThrowAsync<CheckpointLockedException>()).Which;
        await FluentActions.Awaiting(() => repository.SaveAsync(CheckpointSamples.Minimal(Card, 3))).Should().ThrowAsync<CheckpointLockedException>();

        locked.Message.Should().Contain($"process {child.Process.Id} on host '{Environment.MachineName}' (running on this machine)")
            .And.Contain("CheckpointManagerOptions.LockTimeout");
        locked.Owner.Should().Contain($"process {child.Process.Id}");
        OwnerId().Should().Contain($"/{child.Process.Id}/", "the live owner keeps its lease");
    }

    [Fact]
    public async Task DeadOwnerOnAnotherHost_KeepsTheLeaseRule_AndTheErrorNamesOwnerExpiryAndLockTimeout()
    {
        using var child = await StartOwnerAsync();
        child.KillHard();
        Raw.Execute(Database.Path, "UPDATE card_owners SET owner_host = 'other-host'");
        var expires = DateTimeOffset.FromUnixTimeMilliseconds(Raw.Scalar(Database.Path, "SELECT expires_at FROM card_owners"));
        var repository = Open();

        var locked = (await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync(Card, TimeSpan.Zero))
            .Should().ThrowAsync<CheckpointLockedException>("a pid means nothing on another host")).Which;

        locked.Message.Should().Contain($"process {child.Process.Id} on host 'other-host'")
            .And.Contain($"lease expires at {expires.ToString("O", CultureInfo.InvariantCulture)}")
            .And.Contain("CheckpointManagerOptions.LockTimeout");
        locked.LeaseExpiresAt.Should().Be(expires);
        locked.CardId.Should().Be(Card);

        Raw.Execute(Database.Path, "UPDATE card_owners SET expires_at = $expired", ("$expired", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1));
        await using var ownership = await repository.AcquireOwnershipAsync(Card, TimeSpan.Zero);
        Raw.Text(Database.Path, "SELECT owner_host FROM card_owners").Should().Be(Environment.MachineName, "once its lease expired the card is free");
    }

    [Fact]
    public async Task OwnerWhosePidWasReused_IsTakenOverAtOnce()
    {
        // The child runs, but the row says its pid belonged to a process started at another time: that owner is dead.
        using var child = await StartOwnerAsync();
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM card_owners WHERE owner_start IS NOT NULL").Should().Be(1, "the owner row records its start time");
        Raw.Execute(Database.Path, "UPDATE card_owners SET owner_start = owner_start + 1");
        var repository = Open();

        await using var ownership = await repository.AcquireOwnershipAsync(Card, TimeSpan.Zero);

        OwnerId().Should().StartWith($"{Environment.MachineName}/{Environment.ProcessId}/");
    }

    [Fact]
    public async Task OwnerTakenOverAsDead_IsFenced_AsAnExpiredOwnerIs()
    {
        var first = Open(new SqliteCheckpointRepositoryOptions { LeaseDuration = TimeSpan.FromMilliseconds(LongLeaseMs) });
        var second = Open();
        var stale = await first.AcquireOwnershipAsync(Card, TimeSpan.Zero);
        var checkpoint = CheckpointSamples.Checkpoint(Card);
        await first.SaveAsync(checkpoint);
        Raw.Execute(Database.Path, "UPDATE card_owners SET owner_start = owner_start + 1"); // to the second, the first looks dead

        await using var taken = await second.AcquireOwnershipAsync(Card, TimeSpan.Zero);
        var change = new CurrentStageSet(2, CheckpointSamples.At(50), "new owner");
        var applied = new AppliedChange(checkpoint, change);
        checkpoint = applied.Checkpoint;
        await second.SaveChangeAsync(applied);

        var late = new CurrentStageSet(3, CheckpointSamples.At(51), "old owner");
        await FluentActions.Awaiting(() => first.SaveChangeAsync(new AppliedChange(checkpoint, late)))
            .Should().ThrowAsync<CheckpointLockedException>("the old owner's lease was superseded");
        (await second.LoadAsync(Card)).ShouldMatch(checkpoint, "only the new owner's write went in");
        await stale.DisposeAsync();
    }

    private async Task<ChildProcess> StartOwnerAsync()
    {
        var child = ChildProcess.Start("hold", Database.Path, Card, LongLeaseMs.ToString(CultureInfo.InvariantCulture));
        await child.WaitForLineAsync(line => line == "ready", TimeSpan.FromSeconds(60));
        return child;
    }

    private string? OwnerId() => Raw.Text(Database.Path, "SELECT owner_id FROM card_owners WHERE card_id = 'CARD-1'");
}
