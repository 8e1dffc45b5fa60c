using System.Diagnostics;
using Azure.Storage.Blobs;
using Checkpointing.AzureBlob.Tests.Support;
using Checkpointing.Testing;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.AzureBlob.Tests;

/// <summary>
/// Blob leases on a real Azurite: a killed owner's lease expires and is taken over, and an owner whose lease expired and
/// was taken (frozen, or never renewing) has every late write refused by the service, leaving the new owner's state intact.
/// Leases last 15 s, the shortest Azure allows, so each test waits for one expiry.
/// </summary>
public sealed class LeaseTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(60);
    private readonly List<AzureBlobCheckpointRepository> _repositories = [];
    private BlobContainerClient _container = null!;

    public async Task InitializeAsync() => _container = await azurite.Server.NewContainerAsync("lease");

    public async Task DisposeAsync()
    {
        foreach (var repository in _repositories)
        {
            await repository.DisposeAsync();
        }

        await _container.DeleteIfExistsAsync();
    }

    [Fact]
    public async Task StaleOwner_WhoseLeaseWasTaken_IsRefusedByTheService_ForAppendsAndSnapshots()
    {
        // A never renews (its clock does not move), as a process frozen past its lease.
        var stale = NewRepository(new FakeTimeProvider());
        var fresh = NewRepository(TimeProvider.System);
        var appendCard = await Cards.CreateAsync(stale, "stale-append");
        var snapshotCard = await Cards.CreateAsync(stale, "stale-snapshot");
        var staleAppend = await stale.AcquireOwnershipAsync(appendCard.CardId, TimeSpan.Zero);
        var staleSnapshot = await stale.AcquireOwnershipAsync(snapshotCard.CardId, TimeSpan.Zero);
        (await stale.LoadAsync(appendCard.CardId))!.Version.Should().Be(1);
        (await stale.LoadAsync(snapshotCard.CardId))!.Version.Should().Be(1);

        await FluentActions.Awaiting(() => fresh.AcquireOwnershipAsync(appendCard.CardId, TimeSpan.Zero)).Should().ThrowAsync<CheckpointLockedException>();
        var watch = Stopwatch.StartNew();
        await using var takenAppend = await fresh.AcquireOwnershipAsync(appendCard.CardId, TimeSpan.FromSeconds(60));
        await using var takenSnapshot = await fresh.AcquireOwnershipAsync(snapshotCard.CardId, TimeSpan.FromSeconds(60));
        output.WriteLine($"took both cards over after {watch.ElapsedMilliseconds} ms");
        var byFresh = await SaveChangeAsync(fresh, appendCard, "by the new owner");
        var snapshotByFresh = await SaveChangeAsync(fresh, snapshotCard, "by the new owner");

        // The stale owner still believes it owns both. Its append names its lease: refused. Its whole-document save is made
        // under If-Match on the snapshot's ETag it read, which the new owner changed when it took the card: refused.
        await FluentActions.Awaiting(() => SaveChangeAsync(stale, appendCard, "too late")).Should().ThrowAsync<CheckpointLeaseLostException>();
        await FluentActions.Awaiting(() => stale.SaveAsync(CheckpointSamples.Minimal(snapshotCard.CardId, 2)))
            .Should().ThrowAsync<CheckpointLeaseLostException>();
        await FluentActions.Awaiting(() => SaveChangeAsync(stale, snapshotCard, "too late")).Should().ThrowAsync<CheckpointLeaseLostException>();
        await FluentActions.Awaiting(() => stale.DeleteAsync(snapshotCard.CardId)).Should().ThrowAsync<CheckpointLeaseLostException>();

        var reader = NewRepository(TimeProvider.System);
        (await reader.LoadAsync(appendCard.CardId)).ShouldMatch(byFresh, "the stale owner's append was refused");
        (await reader.LoadAsync(snapshotCard.CardId)).ShouldMatch(snapshotByFresh, "the stale owner's snapshot was refused");
        await staleAppend.DisposeAsync();
        await staleSnapshot.DisposeAsync();
        (await fresh.LoadAsync(appendCard.CardId)).ShouldMatch(byFresh, "disposing the stale ownership does not release the new owner's lease");
        await SaveChangeAsync(fresh, appendCard, "still the owner");
    }

    [Fact]
    public async Task KilledOwner_ItsLeaseExpires_AndAnotherTakesTheCardWithEveryAcknowledgedChange()
    {
        var repository = NewRepository(TimeProvider.System);
        var card = await Cards.CreateAsync(repository, "killed-owner");
        using var child = ChildProcess.Start("writer", azurite.Server.ConnectionString, _container.Name, card.CardId, "20");
        await child.WaitForLineAsync(line => line == "ack 6", LineTimeout);
        var lines = await child.KillHardAndDrainAsync();
        var acknowledged = Acknowledged(lines);

        await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync(card.CardId, TimeSpan.Zero))
            .Should().ThrowAsync<CheckpointLockedException>("the dead process's lease has not expired yet");
        var watch = Stopwatch.StartNew();
        await using var ownership = await repository.AcquireOwnershipAsync(card.CardId, TimeSpan.FromSeconds(60));
        output.WriteLine($"took the card over {watch.ElapsedMilliseconds} ms after the kill; {acknowledged} changes acknowledged");
        var stored = (await repository.LoadAsync(card.CardId))!;
        stored.Version.Should().BeGreaterThanOrEqualTo(acknowledged);
        Cards.ShouldHoldEveryChange(stored);
        await SaveChangeAsync(repository, stored, "after the takeover");
    }

    [Fact]
    public async Task FrozenWriter_PastItsLease_HasItsLateWritesRefused_AndTheNewOwnersStateIsIntact()
    {
        var repository = NewRepository(TimeProvider.System);
        var card = await Cards.CreateAsync(repository, "frozen-owner");
        using var child = ChildProcess.Start("writer", azurite.Server.ConnectionString, _container.Name, card.CardId, "50");
        await child.WaitForLineAsync(line => line == "ack 4", LineTimeout);
        Signals.Freeze(child.Process.Id);
        try
        {
            await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync(card.CardId, TimeSpan.Zero))
                .Should().ThrowAsync<CheckpointLockedException>("the frozen writer's lease holds the card until it expires");
            var watch = Stopwatch.StartNew();
            await using var ownership = await repository.AcquireOwnershipAsync(card.CardId, TimeSpan.FromSeconds(60));
            var taken = (await repository.LoadAsync(card.CardId))!;
            Cards.ShouldHoldEveryChange(taken);
            var byNewOwner = await SaveChangeAsync(repository, taken, "by the new owner");
            output.WriteLine($"took the frozen writer's card at version {taken.Version} after {watch.ElapsedMilliseconds} ms");

            Signals.Thaw(child.Process.Id);
            var refused = await child.WaitForLineAsync(line => line.StartsWith("refused ", StringComparison.Ordinal), LineTimeout);
            (await child.WaitForExitAsync(LineTimeout)).Should().Be(0, child.Describe());
            Acknowledged(child.Lines).Should().BeLessThanOrEqualTo(taken.Version, "every write the frozen writer saw acknowledged was durable before the takeover");
            output.WriteLine($"the thawed writer was refused: {refused}");
            (await NewRepository(TimeProvider.System).LoadAsync(card.CardId)).ShouldMatch(byNewOwner, "no late write of the frozen writer landed");
        }
        finally
        {
            if (!child.Process.HasExited)
            {
                Signals.Thaw(child.Process.Id);
            }
        }
    }

    private static long Acknowledged(IEnumerable<string> lines) =>
        lines.Where(l => l.StartsWith("ack ", StringComparison.Ordinal)).Select(l => long.Parse(l[4..], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    private static async Task<PipelineCheckpoint> SaveChangeAsync(ICheckpointRepository repository, PipelineCheckpoint checkpoint, string stage)
    {
        var current = (await repository.LoadAsync(checkpoint.CardId))!;
        var change = new CurrentStageSet(current.Version + 1, CheckpointSamples.At((int)current.Version), stage);
        var applied = new AppliedChange(current, change);
        await repository.SaveChangeAsync(applied);
        return applied.Checkpoint;
    }

    private AzureBlobCheckpointRepository NewRepository(TimeProvider time)
    {
        var repository = new AzureBlobCheckpointRepository(_container, new AzureBlobCheckpointRepositoryOptions { LeaseDuration = Lease, TimeProvider = time });
        _repositories.Add(repository);
        return repository;
    }
}
