using System.Text;
using Checkpointing.Testing;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Sqlite.Tests;

/// <summary>What the SQLite store promises beyond the conformance suite: change rows, compaction, durability settings, busy waits, typed errors.</summary>
public sealed class SqliteCheckpointRepositoryTests : SqliteTestBase
{
    [Fact]
    public async Task SaveChange_WritesOneChangeRow_AndLeavesTheDocumentAlone()
    {
        var repository = Open();
        var checkpoint = CheckpointSamples.Checkpoint("CARD-1");
        await repository.SaveAsync(checkpoint);
        var document = Raw.Text(Database.Path, "SELECT document FROM checkpoint_documents WHERE card_id = 'CARD-1'");

        var change = new CurrentStageSet(2, CheckpointSamples.At(30), "report");
        await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));

        Raw.Text(Database.Path, "SELECT document FROM checkpoint_documents WHERE card_id = 'CARD-1'").Should().Be(document);
        Raw.Scalar(Database.Path, "SELECT version FROM checkpoints WHERE card_id = 'CARD-1'").Should().Be(2);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes WHERE card_id = 'CARD-1' AND version = 2").Should().Be(1);
        var changeBytes = Raw.Scalar(Database.Path, "SELECT length(CAST(change AS BLOB)) FROM checkpoint_changes WHERE card_id = 'CARD-1'");
        changeBytes.Should().Be(CheckpointJson.SerializeChange(change).Length).And.BeLessThan(200, "a change row holds the change, not the document");
        Raw.Scalar(Database.Path, "SELECT change_bytes FROM checkpoints WHERE card_id = 'CARD-1'").Should().Be(changeBytes);
        Raw.Scalar(Database.Path, "SELECT change_count FROM checkpoints WHERE card_id = 'CARD-1'").Should().Be(1);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(change.ApplyTo(checkpoint));
    }

    [Fact]
    public async Task SaveChange_ChangeRowsOutgrowTheDocument_AreFoldedIntoItInTheBackground()
    {
        var repository = Open(new SqliteCheckpointRepositoryOptions { MinCompactionBytes = 0 });
        var checkpoint = CheckpointSamples.Minimal("CARD-1");
        await repository.SaveAsync(checkpoint);
        var documentBytes = Raw.Scalar(Database.Path, "SELECT document_bytes FROM checkpoints");
        var folds = 0;
        var previousCount = 0L;
        for (var i = 0; i < 40; i++)
        {
            var change = new LlmResponseCached(checkpoint.Version + 1, CheckpointSamples.At(i), "s", CheckpointSamples.Response($"prompt {i}"));
            var applied = new AppliedChange(checkpoint, change);
            checkpoint = applied.Checkpoint;
            await repository.SaveChangeAsync(applied);
            await repository.WhenFoldIdleAsync("CARD-1");
            var count = Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes");
            count.Should().Be(Raw.Scalar(Database.Path, "SELECT change_count FROM checkpoints"));
            Raw.Scalar(Database.Path, "SELECT change_bytes FROM checkpoints")
                .Should().Be(Raw.Scalar(Database.Path, "SELECT COALESCE(SUM(length(CAST(change AS BLOB))), 0) FROM checkpoint_changes"))
                .And.BeLessThanOrEqualTo(Raw.Scalar(Database.Path, "SELECT document_bytes FROM checkpoints"), "once the background fold ran, change rows do not outgrow the document");
            if (count < previousCount || (count == 0 && i > 0))
            {
                folds++;
            }

            previousCount = count;
        }

        folds.Should().BeGreaterThan(1);
        Raw.Scalar(Database.Path, "SELECT document_bytes FROM checkpoints").Should().BeGreaterThan(documentBytes);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task Compact_FoldsEveryChangeRowIntoTheDocument()
    {
        var repository = Open();
        var checkpoint = CheckpointSamples.Checkpoint("CARD-1");
        await repository.SaveAsync(checkpoint);
        for (var i = 0; i < 5; i++)
        {
            var change = new CurrentStageSet(checkpoint.Version + 1, CheckpointSamples.At(i), $"stage-{i}");
            var applied = new AppliedChange(checkpoint, change);
            checkpoint = applied.Checkpoint;
            await repository.SaveChangeAsync(applied);
        }

        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes").Should().Be(5);

        await repository.CompactAsync("CARD-1");

        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes").Should().Be(0);
        Raw.Scalar(Database.Path, "SELECT change_count + change_bytes FROM checkpoints").Should().Be(0);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_documents").Should().Be(0, "the folded document is stored in chunks");
        CheckpointJson.DeserializeCheckpoint(Raw.ChunkedDocument(Database.Path, "CARD-1"), "test").ShouldMatch(checkpoint);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task Connections_UseWalFullSynchronousAndTheBusyTimeout()
    {
        var repository = Open(new SqliteCheckpointRepositoryOptions { BusyTimeout = TimeSpan.FromSeconds(7) });

        await using var connection = await repository.Database.OpenConnectionAsync(CancellationToken.None);

        Raw.Text(Database.Path, "PRAGMA journal_mode").Should().Be("wal", "WAL is a property of the database file");
        Raw.Scalar(connection, "PRAGMA synchronous").Should().Be(2, "FULL: every commit is fsync'd");
        Raw.Scalar(connection, "PRAGMA busy_timeout").Should().Be(7000);
    }

    [Fact]
    public async Task Write_WhileAnotherConnectionHoldsTheWriteLock_WaitsInsteadOfFailing()
    {
        var repository = Open();
        await repository.ListCardIdsAsync();
        using var blocker = Raw.Open(Database.Path);
        Raw.Execute(blocker, "BEGIN IMMEDIATE");

        var save = Task.Run(() => repository.SaveAsync(CheckpointSamples.Minimal("CARD-1")));
        await Task.Delay(500); // SQLite's own busy wait runs on the real clock: this is how long the write is watched waiting
        save.IsCompleted.Should().BeFalse("the write waits for the lock instead of failing at once");
        Raw.Execute(blocker, "COMMIT");
        await save;

        (await repository.ExistsAsync("CARD-1")).Should().BeTrue();
    }

    [Fact]
    public async Task Write_LockHeldPastTheBusyTimeout_ThrowsBusyAndWritesNothing()
    {
        var repository = Open(new SqliteCheckpointRepositoryOptions { BusyTimeout = TimeSpan.FromMilliseconds(300) });
        await repository.ListCardIdsAsync();
        using var blocker = Raw.Open(Database.Path);
        Raw.Execute(blocker, "BEGIN IMMEDIATE");

        var error = (await FluentActions.Awaiting(() => repository.SaveAsync(CheckpointSamples.Minimal("CARD-1")))
            .Should().ThrowAsync<SqliteCheckpointStoreException>()).Which;

        error.Problem.Should().Be(SqliteStoreProblem.Busy);
        error.DatabasePath.Should().Be(Database.Path);
        Raw.Execute(blocker, "ROLLBACK");
        (await repository.ExistsAsync("CARD-1")).Should().BeFalse();
    }

    [Fact]
    public async Task MissingDirectory_ThrowsCannotOpen()
    {
        var path = Path.Combine(Database.Directory, "no-such-directory", "checkpoints.db");
        var repository = Open(path);

        var error = (await FluentActions.Awaiting(() => repository.LoadAsync("CARD-1")).Should().ThrowAsync<SqliteCheckpointStoreException>()).Which;

        error.Problem.Should().Be(SqliteStoreProblem.CannotOpen);
        error.DatabasePath.Should().Be(path);
        error.Message.Should().Contain(path);
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public async Task MissingFile_WithModeReadWrite_ThrowsCannotOpen()
    {
        var repository = Open($"Data Source={Database.Path};Mode=ReadWrite");

        var error = (await FluentActions.Awaiting(() => repository.ListCardIdsAsync()).Should().ThrowAsync<SqliteCheckpointStoreException>()).Which;

        error.Problem.Should().Be(SqliteStoreProblem.CannotOpen);
        File.Exists(Database.Path).Should().BeFalse("Mode=ReadWrite never creates the file");
    }

    [Fact]
    public async Task ReadOnlyDatabase_ReadsWork_WritesThrowReadOnly()
    {
        var checkpoint = CheckpointSamples.Checkpoint("CARD-1");
        await Open().SaveAsync(checkpoint);
        var readOnly = Open($"Data Source={Database.Path};Mode=ReadOnly");

        (await readOnly.LoadAsync("CARD-1")).ShouldMatch(checkpoint);
        var change = new CurrentStageSet(2, CheckpointSamples.At(40), "never");
        var error = (await FluentActions.Awaiting(() => readOnly.SaveChangeAsync(new AppliedChange(checkpoint, change)))
            .Should().ThrowAsync<SqliteCheckpointStoreException>()).Which;

        error.Problem.Should().Be(SqliteStoreProblem.ReadOnly);
        (await Open().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task NotADatabase_ThrowsCorruptedAndLeavesTheFileAlone()
    {
        var garbage = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("this is not a SQLite database. ", 200)));
        await File.WriteAllBytesAsync(Database.Path, garbage);

        await FluentActions.Awaiting(() => Open().LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointCorruptedException>();

        (await File.ReadAllBytesAsync(Database.Path)).Should().Equal(garbage);
    }

    [Fact]
    public async Task CorruptDocumentRow_ThrowsCorruptedNamingTheRow()
    {
        var repository = Open();
        await repository.SaveAsync(CheckpointSamples.Checkpoint("CARD-1"));
        Raw.Execute(Database.Path, "UPDATE checkpoint_documents SET document = '{\"card_id\": ' WHERE card_id = 'CARD-1'");

        var error = (await FluentActions.Awaiting(() => Open().LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointCorruptedException>()).Which;

        error.Path.Should().Contain(Database.Path).And.Contain("checkpoints[card_id='CARD-1']");
        (await Open().ExistsAsync("CARD-1")).Should().BeTrue("nothing was deleted");
    }

    [Fact]
    public async Task MissingChangeRow_ThrowsCorrupted()
    {
        var repository = Open();
        var checkpoint = CheckpointSamples.Checkpoint("CARD-1");
        await repository.SaveAsync(checkpoint);
        for (var i = 0; i < 3; i++)
        {
            var change = new CurrentStageSet(checkpoint.Version + 1, CheckpointSamples.At(i), $"stage-{i}");
            var applied = new AppliedChange(checkpoint, change);
            checkpoint = applied.Checkpoint;
            await repository.SaveChangeAsync(applied);
        }

        Raw.Execute(Database.Path, "DELETE FROM checkpoint_changes WHERE version = 3");

        var error = (await FluentActions.Awaiting(() => Open().LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointCorruptedException>()).Which;
        error.Path.Should().Contain("checkpoint_changes");
    }

    [Theory]
    [InlineData(":memory:")]
    [InlineData("Data Source=:memory:")]
    [InlineData("Data Source=shared;Mode=Memory;Cache=Shared")]
    [InlineData("Mode=ReadWriteCreate")]
    public void InMemoryOrMissingDatabase_IsRefused(string connectionString) =>
        FluentActions.Invoking(() => new SqliteCheckpointRepository(connectionString)).Should().Throw<ArgumentException>();

    [Fact]
    public async Task PathAndConnectionString_ReachTheSameDatabase()
    {
        var checkpoint = CheckpointSamples.Checkpoint("CARD-1");
        await Open(Database.Path).SaveAsync(checkpoint);

        var viaConnectionString = Open($"Data Source={Database.Path};Cache=Private");

        viaConnectionString.DatabasePath.Should().Be(Database.Path);
        (await viaConnectionString.LoadAsync("CARD-1")).ShouldMatch(checkpoint);
    }

    [Fact]
    public async Task Dispose_ReleasesEveryOwnership()
    {
        var owner = Open();
        await owner.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        await owner.AcquireOwnershipAsync("CARD-2", TimeSpan.Zero);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM card_owners").Should().Be(2);

        await owner.DisposeAsync();

        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM card_owners").Should().Be(0);
        await using var next = await Open().AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        await FluentActions.Awaiting(() => owner.LoadAsync("CARD-1")).Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task Manager_WorksAsSimplyAsTheFileStore()
    {
        await using (var manager = new CheckpointManager("CARD-1", Open()))
        {
            await manager.CreateCheckpointAsync(totalStages: 2);
            await manager.SaveStageCheckpointAsync("one", StageStatus.Completed, result: new { Answer = 42 });
        }

        await using var resumed = new CheckpointManager("CARD-1", Open());
        (await resumed.ResumeAsync())!.CompletedStages.Should().Equal("one");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes").Should().Be(1, "the resume is one change row after the compaction on dispose");
    }
}
