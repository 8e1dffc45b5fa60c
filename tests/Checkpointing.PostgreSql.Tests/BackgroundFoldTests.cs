using Checkpointing.PostgreSql.Tests.Support;
using static Checkpointing.Tests.Support.FoldCards;
using Checkpointing.Testing;
using FluentAssertions;
using Xunit;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>
/// Folds of change rows into a new document run off the saver's path: the new document is written as a generation no card
/// names, then switched in by one short fenced statement. A save never waits for a fold, and every point a fold can stop at
/// (before its switch, a replaced document, a lease taken over) leaves a state the next owner reads whole and finishes.
/// </summary>
public sealed class BackgroundFoldTests : IAsyncLifetime
{
    /// <summary>Guards against a hang only (a save waiting for the held fold would never finish); nothing is timed.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(2);
    private readonly string _schema = PostgresServer.NewSchema("fold");
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
    public async Task Saves_CompleteWhileABackgroundFoldIsHeldBeforeItsSwitch()
    {
        var fold = new HeldFold();
        var repository = NewRepository(FoldingOptions((_, cancellationToken) => fold.HoldAsync(cancellationToken)));
        PipelineCheckpoint checkpoint;
        try
        {
            // The fold has written its document and waits before the switch; the saves during it must not wait for it.
            checkpoint = await fold.SaveAroundAsync(repository, CheckpointSamples.Minimal("CARD-1"), during: 30);
            (await StrayDocumentsAsync("CARD-1")).Should().Be(1, "the held fold's document is written and not switched in");
            (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint, "a reader sees every save while the fold runs");
        }
        finally
        {
            fold.Release();
        }

        await repository.CompactAsync("CARD-1");

        (await CountAsync("checkpoint_changes")).Should().Be(0, "CompactAsync waited for the fold and folded what came after it");
        (await StrayDocumentsAsync("CARD-1")).Should().Be(0);
        (await CountAsync("checkpoint_documents")).Should().Be(0, "a folded document is stored in chunks");
        (await ChunkGenerationsAsync()).Should().Be(1);
        (await ChangesBytesAsync("CARD-1")).Should().Be(0);
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task FoldStoppedBeforeItsSwitch_LeavesEveryChange_AndTheNextOwnerFinishesIt()
    {
        var first = NewRepository(FoldingOptions((_, _) => throw new IOException("the fold stops here (as if its connection died)")));
        PipelineCheckpoint checkpoint;
        await using (var ownership = await first.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero))
        {
            checkpoint = await SaveManyAsync(first, "CARD-1", 20);
            await first.WhenFoldIdleAsync("CARD-1");
            (await DocumentVersionAsync("CARD-1")).Should().Be(1, "the card still has its first document");
            (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
            await FluentActions.Awaiting(() => first.CompactAsync("CARD-1")).Should().ThrowAsync<IOException>("an explicit compaction reports its failure");
            (await StrayDocumentsAsync("CARD-1")).Should().Be(0, "a fold that failed removes the document it wrote");
        }

        // A killed fold cannot clean up: its chunks stay, a generation no card names, which load ignores.
        await _server.ExecuteAsync($"INSERT INTO \"{_schema}\".checkpoint_document_chunks (card_id, generation, chunk, data) VALUES ('CARD-1', 42, 0, '\\x7b22')");
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint);

        var next = NewRepository(new PostgreSqlCheckpointRepositoryOptions { MinCompactionBytes = 0 });
        await using var nextOwnership = await next.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        await next.CompactAsync("CARD-1");

        (await StrayDocumentsAsync("CARD-1")).Should().Be(0, "the next fold's switch removes what the stopped ones left");
        (await CountAsync("checkpoint_changes")).Should().Be(0);
        (await DocumentVersionAsync("CARD-1")).Should().Be(checkpoint.Version);
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task DocumentReplacedDuringAFold_TheFoldIsDropped_AndTheWholeSaveStands()
    {
        PostgreSqlCheckpointRepository? repository = null;
        PipelineCheckpoint? replacement = null;
        var armed = false;
        repository = NewRepository(FoldingOptions(async (cardId, cancellationToken) =>
        {
            if (armed && replacement is null)
            {
                var stored = (await repository!.LoadAsync(cardId, cancellationToken))!;
                replacement = CheckpointSamples.Checkpoint(cardId, stored.Version + 1);
                await repository.SaveAsync(replacement, cancellationToken);
            }
        }));
        var checkpoint = await SaveManyAsync(repository, "CARD-1", 20);
        await repository.WhenFoldIdleAsync("CARD-1");
        armed = true;
        await SaveResponseAsync(repository, checkpoint, "the last change");

        await repository.CompactAsync("CARD-1");

        replacement.Should().NotBeNull("a fold ran and a whole save replaced the document before its switch");
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(replacement!, "the fold of the old document must not overwrite the whole save");
        (await CountAsync("checkpoint_documents")).Should().Be(1, "the whole save removed the old document, and the dropped fold removed its own");
        (await CountAsync("checkpoint_changes")).Should().Be(0);
    }

    [Fact]
    public async Task LeaseTakenOverDuringAFold_TheSwitchIsFenced_AndTheNewOwnersStateIsIntact()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = FoldingOptions(async (_, cancellationToken) =>
        {
            if (held.TrySetResult())
            {
                await release.Task.WaitAsync(cancellationToken);
            }
        });
        options.LeaseDuration = ShortLease;
        var workerA = NewRepository(options);
        var claimA = await workerA.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        PipelineCheckpoint stateOfA;
        AppliedChange byB;
        try
        {
            stateOfA = await SaveManyAsync(workerA, "CARD-1", 20);
            await held.Task.WaitAsync(HangGuard);

            // A freezes with its fold written and not switched in; B takes the card once A's lease expired, and writes.
            workerA.SuspendLeaseRenewal("CARD-1");
            var workerB = NewRepository(new PostgreSqlCheckpointRepositoryOptions { LeaseDuration = TimeSpan.FromSeconds(30) });
            var claimB = await workerB.AcquireOwnershipAsync("CARD-1", TimeSpan.FromSeconds(30));
            claimB.FencingToken.Should().BeGreaterThan(claimA.FencingToken);
            var loaded = (await workerB.LoadAsync("CARD-1"))!;
            loaded.ShouldMatch(stateOfA, "B reads every save of A");
            byB = new AppliedChange(loaded, new CurrentStageSet(loaded.Version + 1, CheckpointSamples.At(500), "B's stage"));
            await workerB.SaveChangeAsync(byB);
        }
        finally
        {
            // A failure above must not leave the fold held: dispose waits for it.
            release.TrySetResult();
        }

        await workerA.WhenFoldIdleAsync("CARD-1");
        claimA.IsLost.Should().BeTrue("the fenced switch found another token on the card");
        (await DocumentVersionAsync("CARD-1")).Should().Be(1, "the switch of a worker that lost the card is refused");
        (await StrayDocumentsAsync("CARD-1")).Should().Be(0, "the refused fold removes its document");
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(byB.Checkpoint, "B's state, with every save of A before it");
        await claimA.DisposeAsync();
    }

    [Fact]
    public async Task CardTakenDuringAFoldWithoutALease_TheSwitchIsRefused_AndCompactWithoutALeaseIsRefusedToo()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var unowned = NewRepository(FoldingOptions(async (_, cancellationToken) =>
        {
            if (held.TrySetResult())
            {
                await release.Task.WaitAsync(cancellationToken);
            }
        }));
        var checkpoint = await SaveManyAsync(unowned, "CARD-1", 20);
        var owner = NewRepository();
        try
        {
            await held.Task.WaitAsync(HangGuard);
            await owner.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        }
        finally
        {
            // A failure above must not leave the fold held: dispose waits for it.
            release.TrySetResult();
        }

        await unowned.WhenFoldIdleAsync("CARD-1");
        (await DocumentVersionAsync("CARD-1")).Should().Be(1, "a fold without a lease is refused while another worker holds the card");
        (await StrayDocumentsAsync("CARD-1")).Should().Be(0);
        await FluentActions.Awaiting(() => unowned.CompactAsync("CARD-1")).Should().ThrowAsync<CheckpointLockedException>();
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint);

        await owner.CompactAsync("CARD-1");
        await FluentActions.Awaiting(() => unowned.CompactAsync("CARD-1"))
            .Should().ThrowAsync<CheckpointLockedException>("a compaction with nothing to fold is still a write another worker's lease refuses");
        (await DocumentVersionAsync("CARD-1")).Should().Be(checkpoint.Version);
    }

    [Fact]
    public async Task Dispose_WaitsForTheRunningFold_AndLeavesACompactedDocument()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = FoldingOptions(async (_, cancellationToken) =>
        {
            started.TrySetResult();
            await release.Task.WaitAsync(cancellationToken);
        });
        options.Schema = _schema;
        var repository = new PostgreSqlCheckpointRepository(_server.DataSource, options);
        PipelineCheckpoint checkpoint;
        ValueTask dispose;
        try
        {
            checkpoint = await SaveManyAsync(repository, "CARD-1", 20);
            await started.Task.WaitAsync(HangGuard);
            dispose = repository.DisposeAsync();
            dispose.IsCompleted.Should().BeFalse("a fold is held, and dispose waits for it");
        }
        finally
        {
            release.TrySetResult();
        }

        await dispose.AsTask().WaitAsync(HangGuard);

        (await CountAsync("checkpoint_changes")).Should().Be(0, "dispose folded what the held fold left");
        (await DocumentVersionAsync("CARD-1")).Should().Be(checkpoint.Version);
        (await StrayDocumentsAsync("CARD-1")).Should().Be(0);
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task CardRowNamingAMissingDocument_IsReportedCorrupted()
    {
        var repository = NewRepository();
        await SaveManyAsync(repository, "CARD-1", 3);
        await _server.ExecuteAsync($"DELETE FROM \"{_schema}\".checkpoint_documents");

        var error = (await FluentActions.Awaiting(() => NewRepository().LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointCorruptedException>()).Which;
        error.Message.Should().Contain("generation").And.Contain("CARD-1");
    }

    private Task<long> ChunkGenerationsAsync() => _server.ScalarAsync<long>($"SELECT count(DISTINCT (card_id, generation)) FROM \"{_schema}\".checkpoint_document_chunks");

    private static PostgreSqlCheckpointRepositoryOptions FoldingOptions(Func<string, CancellationToken, Task> afterWrite) =>
        new() { MinCompactionBytes = 0, AfterFoldDocumentWritten = afterWrite };

    private PostgreSqlCheckpointRepository NewRepository(PostgreSqlCheckpointRepositoryOptions? options = null)
    {
        options ??= new PostgreSqlCheckpointRepositoryOptions();
        options.Schema = _schema;
        var repository = new PostgreSqlCheckpointRepository(_server.DataSource, options);
        _repositories.Add(repository);
        return repository;
    }

    private Task<long> CountAsync(string table) => _server.ScalarAsync<long>($"SELECT count(*) FROM \"{_schema}\".{table}");

    private Task<long> DocumentVersionAsync(string cardId) =>
        _server.ScalarAsync<long>($"SELECT document_version FROM \"{_schema}\".checkpoints WHERE card_id = $1", cardId);

    private Task<long> ChangesBytesAsync(string cardId) =>
        _server.ScalarAsync<long>($"SELECT changes_bytes FROM \"{_schema}\".checkpoints WHERE card_id = $1", cardId);

    /// <summary>Documents of the card that its row does not name: written by a fold that has not switched (or never will).</summary>
    private Task<long> StrayDocumentsAsync(string cardId) =>
        PostgreSqlRaw.StrayDocumentsAsync(_server, _schema, cardId);
}
