using Checkpointing.Testing;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Sqlite.Tests;

/// <summary>The schema the store creates and migrates itself: fresh databases, upgrades in place, newer schemas refused.</summary>
public sealed class SqliteMigrationTests : SqliteTestBase
{
    [Fact]
    public async Task FreshDatabase_IsCreatedAtTheCurrentSchema()
    {
        await Open().ListCardIdsAsync();

        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM schema_migrations").Should().Be(SqliteCheckpointRepository.SchemaVersion);
        Raw.Scalar(Database.Path, "SELECT MAX(version) FROM schema_migrations").Should().Be(5);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM schema_migrations WHERE applied_at LIKE '____-__-__T%'").Should().Be(5);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM pragma_table_info('card_owners') WHERE name IN ('owner_host', 'owner_pid', 'owner_start', 'owner_scope')")
            .Should().Be(4, "the owner row records its process, so a dead owner on this machine can be told apart");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM pragma_table_info('checkpoints') WHERE name = 'document'").Should().Be(0, "documents live in their own table");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM pragma_table_info('checkpoints') WHERE name IN ('document_bytes', 'change_bytes', 'change_count')").Should().Be(3);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM pragma_table_info('checkpoints') WHERE name IN ('document_id', 'document_chunks')").Should().Be(2);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'checkpoint_document_chunks'").Should().Be(1, "background folds write documents in chunks");
    }

    [Fact]
    public async Task ManyRepositoriesStartingAtOnce_MigrateOnce()
    {
        var repositories = Enumerable.Range(0, 6).Select(_ => Open()).ToArray();

        await Task.WhenAll(repositories.Select(r => Task.Run(() => r.ListCardIdsAsync())));

        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM schema_migrations").Should().Be(5);
    }

    [Fact]
    public async Task Version1Database_IsUpgradedInPlace_WithNoDataLost()
    {
        // A database as the first schema version left it: documents, change rows and an owner row, without the size columns
        // and without the owner's process.
        await using (var connection = Raw.Open(Database.Path))
        {
            (await SqliteSchema.MigrateAsync(connection, Database.Path, targetVersion: 1, TimeProvider.System, CancellationToken.None)).Should().Be((0, 1));
        }

        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM pragma_table_info('checkpoints') WHERE name = 'change_bytes'").Should().Be(0, "version 1 has no size columns");
        var withChanges = CheckpointSamples.Checkpoint("CARD-CHANGES");
        InsertV1Document(withChanges);
        CheckpointChange[] changes =
        [
            new CurrentStageSet(2, CheckpointSamples.At(30), "analyze"),
            new LlmResponseCached(3, CheckpointSamples.At(31), "analyze", CheckpointSamples.Response("written by v1")),
            new StageRecorded(4, CheckpointSamples.At(32), CheckpointSamples.Stage("analyze", startSeconds: 30)),
        ];
        foreach (var change in changes)
        {
            withChanges = change.ApplyTo(withChanges);
            Raw.Execute(
                Database.Path,
                "INSERT INTO checkpoint_changes (card_id, version, change) VALUES ($card, $version, CAST($change AS TEXT))",
                ("$card", withChanges.CardId),
                ("$version", change.Version),
                ("$change", CheckpointJson.SerializeChange(change)));
        }

        Raw.Execute(Database.Path, "UPDATE checkpoints SET version = 4 WHERE card_id = 'CARD-CHANGES'");
        var documentOnly = CheckpointSamples.Minimal("CARD-DOCUMENT", version: 7);
        InsertV1Document(documentOnly);

        // An owner row of the old format, whose lease is still live: it has no process columns, so it keeps the lease rule.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Raw.Execute(
            Database.Path,
            "INSERT INTO card_owners (card_id, owner_id, acquired_at, expires_at) VALUES ('CARD-OWNED', 'old-host/99/abc', $now, $expires)",
            ("$now", now),
            ("$expires", now + 600_000));

        var repository = Open();
        (await repository.LoadAsync("CARD-CHANGES")).ShouldMatch(withChanges, "the upgraded database keeps document and change rows");
        var locked = (await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync("CARD-OWNED", TimeSpan.Zero)).Should().ThrowAsync<CheckpointLockedException>()).Which;
        locked.Owner.Should().Be("owner 'old-host/99/abc'");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM card_owners WHERE owner_host IS NULL AND owner_pid IS NULL AND owner_start IS NULL").Should().Be(1);
        (await repository.LoadAsync("CARD-DOCUMENT")).ShouldMatch(documentOnly);
        (await repository.ListCardIdsAsync()).Should().BeEquivalentTo(["CARD-CHANGES", "CARD-DOCUMENT"]);

        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM schema_migrations").Should().Be(5);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_documents").Should().Be(2, "migration 3 moved both documents");
        Raw.Scalar(Database.Path, "SELECT change_count FROM checkpoints WHERE card_id = 'CARD-CHANGES'").Should().Be(3, "migration 2 counted the existing change rows");
        Raw.Scalar(Database.Path, "SELECT change_bytes FROM checkpoints WHERE card_id = 'CARD-CHANGES'")
            .Should().Be(changes.Sum(c => (long)CheckpointJson.SerializeChange(c).Length));
        Raw.Scalar(Database.Path, "SELECT document_bytes FROM checkpoints WHERE card_id = 'CARD-DOCUMENT'")
            .Should().Be(CheckpointJson.SerializeCheckpoint(documentOnly).Length);
        Raw.Scalar(Database.Path, "SELECT change_count FROM checkpoints WHERE card_id = 'CARD-DOCUMENT'").Should().Be(0);

        var next = new StatusChanged(5, CheckpointSamples.At(40), CheckpointStatus.Paused);
        var applied = new AppliedChange(withChanges, next);
        withChanges = applied.Checkpoint;
        await repository.SaveChangeAsync(applied);
        await repository.CompactAsync("CARD-CHANGES");
        (await Open().LoadAsync("CARD-CHANGES")).ShouldMatch(withChanges, "the upgraded database takes new changes and compacts");
        Raw.Scalar(Database.Path, "SELECT document_chunks FROM checkpoints WHERE card_id = 'CARD-CHANGES'").Should().BeGreaterThan(0, "the fold wrote a chunked document");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_documents WHERE card_id = 'CARD-CHANGES'").Should().Be(0, "the switch removed the old document");
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoint_changes WHERE card_id = 'CARD-CHANGES'").Should().Be(0);
    }

    [Fact]
    public async Task NewerSchema_IsRefusedWithVersionException_AndLeftUntouched()
    {
        var checkpoint = CheckpointSamples.Checkpoint("CARD-1");
        await Open().SaveAsync(checkpoint);
        Raw.Execute(Database.Path, "INSERT INTO schema_migrations (version, applied_at) VALUES (6, '2030-01-01T00:00:00Z')");
        Raw.Execute(Database.Path, "CREATE TABLE from_the_future (x)");

        var repository = Open();
        var error = (await FluentActions.Awaiting(() => repository.LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointVersionException>()).Which;
        await FluentActions.Awaiting(() => repository.SaveAsync(CheckpointSamples.Minimal("CARD-2"))).Should().ThrowAsync<CheckpointVersionException>();
        await FluentActions.Awaiting(() => repository.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero)).Should().ThrowAsync<CheckpointVersionException>();

        error.FoundVersion.Should().Be(6);
        error.SupportedVersion.Should().Be(5);
        error.Path.Should().Be(Database.Path);
        Raw.Scalar(Database.Path, "SELECT MAX(version) FROM schema_migrations").Should().Be(6);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM checkpoints").Should().Be(1);
        Raw.Scalar(Database.Path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'from_the_future'").Should().Be(1);
    }

    private void InsertV1Document(PipelineCheckpoint checkpoint) =>
        Raw.Execute(
            Database.Path,
            "INSERT INTO checkpoints (card_id, version, document, updated_at) VALUES ($card, $version, CAST($document AS TEXT), $updatedAt)",
            ("$card", checkpoint.CardId),
            ("$version", checkpoint.Version),
            ("$document", CheckpointJson.SerializeCheckpoint(checkpoint)),
            ("$updatedAt", checkpoint.UpdatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
}
