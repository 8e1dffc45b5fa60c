using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Manager;

/// <summary>Status changes and disposal report what is durable; a compaction that fails afterwards changes nothing.</summary>
public sealed class DisposalTests : IAsyncDisposable
{
    private readonly InMemoryCheckpointRepository _store = new();

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    [Theory]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(ObjectDisposedException))]
    [InlineData(typeof(OperationCanceledException))]
    public async Task StatusChange_ThenCompactionFails_ReportsSuccess_AndDisposeReleasesTheCard(Type failure)
    {
        var repository = new CompactionFailingRepository(_store, failure);
        var manager = new CheckpointManager("CARD-1", repository);
        await manager.CreateCheckpointAsync(1);
        await manager.SaveStageCheckpointAsync("plan", StageStatus.Completed);

        await manager.MarkCompletedAsync();   // durable before the compaction that follows it fails
        var dispose = async () => await manager.DisposeAsync();

        await dispose.Should().NotThrowAsync();
        repository.CompactionAttempts.Should().BeGreaterThan(0, "the failure must have happened for this test to mean anything");
        (await _store.LoadAsync("CARD-1"))!.Status.Should().Be(CheckpointStatus.Completed);
        await using var next = new CheckpointManager("CARD-1", _store);
        (await next.ResumeOrCreateAsync(1)).Status.Should().Be(CheckpointStatus.Completed, "the card was released and its run kept");
    }

    [Fact]
    public async Task Dispose_WhenReleasingOwnershipFails_DoesNotThrow_AndIsNotRetried()
    {
        var repository = new CompactionFailingRepository(_store, typeof(InvalidOperationException)) { FailRelease = true };
        var manager = new CheckpointManager("CARD-1", repository);
        await manager.CreateCheckpointAsync(1);

        var dispose = async () => await manager.DisposeAsync();

        await dispose.Should().NotThrowAsync();
        repository.ReleaseAttempts.Should().Be(1);
        await dispose.Should().NotThrowAsync();
        repository.ReleaseAttempts.Should().Be(1, "a second dispose does nothing");
    }

    /// <summary>A store whose compaction (and, optionally, ownership release) throws, over a working in-memory store.</summary>
    private sealed class CompactionFailingRepository(InMemoryCheckpointRepository inner, Type failure) : ICheckpointRepository
    {
        private int _compactionAttempts;
        private int _releaseAttempts;

        public bool FailRelease { get; init; }

        public int CompactionAttempts => Volatile.Read(ref _compactionAttempts);

        public int ReleaseAttempts => Volatile.Read(ref _releaseAttempts);

        public Task<PipelineCheckpoint?> LoadAsync(string cardId, CancellationToken cancellationToken = default) => inner.LoadAsync(cardId, cancellationToken);

        public Task<bool> ExistsAsync(string cardId, CancellationToken cancellationToken = default) => inner.ExistsAsync(cardId, cancellationToken);

        public Task<bool> DeleteAsync(string cardId, CancellationToken cancellationToken = default) => inner.DeleteAsync(cardId, cancellationToken);

        public Task<IReadOnlyList<string>> ListCardIdsAsync(CancellationToken cancellationToken = default) => inner.ListCardIdsAsync(cancellationToken);

        public Task SaveAsync(PipelineCheckpoint checkpoint, CancellationToken cancellationToken = default) => inner.SaveAsync(checkpoint, cancellationToken);

        public Task SaveChangeAsync(AppliedChange applied, CancellationToken cancellationToken = default) =>
            inner.SaveChangeAsync(applied, cancellationToken);

        public Task CompactAsync(string cardId, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _compactionAttempts);
            throw (Exception)Activator.CreateInstance(failure, "compaction failed on purpose")!;
        }

        public async Task<CheckpointOwnership> AcquireOwnershipAsync(string cardId, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            var claim = await inner.AcquireOwnershipAsync(cardId, timeout, cancellationToken);
            return FailRelease ? new FailingRelease(this, claim) : claim;
        }

        private sealed class FailingRelease(CompactionFailingRepository owner, CheckpointOwnership claim) : CheckpointOwnership(claim.CardId, claim.OwnerId)
        {
            protected override async ValueTask ReleaseAsync()
            {
                Interlocked.Increment(ref owner._releaseAttempts);
                await claim.DisposeAsync();
                throw new ObjectDisposedException("store", "the store was disposed before the manager");
            }
        }
    }
}
