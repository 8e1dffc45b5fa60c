using System.Net;
using System.Net.Sockets;
using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Testing;
using FluentAssertions;
using Npgsql;
using NpgsqlTypes;
using Xunit;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>Schema migrations (in place, concurrent, newer than the code) and the typed errors of the store.</summary>
public sealed class MigrationAndErrorTests : IAsyncLifetime
{
    private readonly string _schema = PostgresServer.NewSchema("migrate");
    private PostgresServer _server = null!;

    public async Task InitializeAsync() => _server = await PostgresServer.GetAsync();

    public async Task DisposeAsync() => await _server.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");

    [Fact]
    public async Task DatabaseOfSchemaVersion1_IsUpgradedInPlace_WithNoDataLost()
    {
        // A database as the first schema version left it: a resumable card (document + change rows) and a completed one.
        await using (var v1 = NewRepository())
        {
            await v1.MigrateToAsync(1, CancellationToken.None);
        }

        (await ColumnsAsync()).Should().NotContain("fencing_token", "the database is at schema version 1");
        var resumable = Samples.Checkpoint("OLD-RESUMABLE", responses: 3);
        CheckpointChange[] changes =
        [
            new StageRecorded(2, Samples.At(10), new StageCheckpoint { StageName = "analyze", Status = StageStatus.Completed, StartTime = Samples.At(5), EndTime = Samples.At(10), Duration = TimeSpan.FromSeconds(5) }),
            new LlmResponseCached(3, Samples.At(11), "report", Samples.Response("report: ahead")),
        ];
        var expected = changes.Aggregate(resumable, (checkpoint, change) => change.ApplyTo(checkpoint));
        await InsertV1Async(resumable, expected, changes);
        var completed = Samples.Checkpoint("OLD-COMPLETED") with { Status = CheckpointStatus.Completed };
        await InsertV1Async(completed, completed, []);

        var upgraded = NewRepository();
        (await upgraded.LoadAsync("OLD-RESUMABLE")).ShouldMatch(expected, "the v1 card after the upgrade");
        (await upgraded.LoadAsync("OLD-COMPLETED")).ShouldMatch(completed, "the completed v1 card after the upgrade");
        (await upgraded.ListCardIdsAsync()).Should().Contain(["OLD-RESUMABLE", "OLD-COMPLETED"]);
        (await _server.ScalarAsync<int[]>($"SELECT array_agg(version ORDER BY version) FROM \"{_schema}\".schema_migrations"))
            .Should().Equal(1, 2, 3, 4);
        (await _server.ScalarAsync<long>($"SELECT changes_bytes FROM \"{_schema}\".checkpoints WHERE card_id = 'OLD-RESUMABLE'"))
            .Should().Be(changes.Sum(c => (long)CheckpointJson.SerializeChange(c).Length), "migration 2 back-fills the size of the change rows");

        // The upgraded card works with every feature of the new schema: claims, fenced writes, compaction.
        await using var claim = await upgraded.ClaimNextResumableAsync("upgrader", TimeSpan.FromSeconds(30));
        claim!.CardId.Should().Be("OLD-RESUMABLE", "the completed card is not resumable");
        await using (var manager = new CheckpointManager(claim.CardId, upgraded))
        {
            var resumed = await manager.ResumeAsync();
            resumed!.PendingLlmResponses["report"].Should().ContainSingle();
            await manager.SaveStageCheckpointAsync("report", StageStatus.Completed);
            await manager.MarkCompletedAsync();
        }

        var final = await NewRepository().LoadAsync("OLD-RESUMABLE");
        final!.CompletedStages.Should().Equal("prepare", "analyze", "report");
        final.StageCheckpoints["report"].LlmResponses.Should().ContainSingle(r => r.Prompt == "report: ahead");
    }

    [Fact]
    public async Task DatabaseOfSchemaVersion2_MovesItsDocumentsToGenerations_KeepingTokensAndDeletedCards()
    {
        await using (var v2 = NewRepository())
        {
            await v2.MigrateToAsync(2, CancellationToken.None);
        }

        // A schema-2 card with its document in the row, change rows and a fencing token; and a deleted card that keeps its token.
        var document = Samples.Checkpoint("V2-CARD", responses: 3);
        CheckpointChange[] changes =
        [
            new CurrentStageSet(2, Samples.At(10), "analyze"),
            new LlmResponseCached(3, Samples.At(11), "analyze", Samples.Response("analyze: ahead")),
        ];
        var expected = changes.Aggregate(document, (checkpoint, change) => change.ApplyTo(checkpoint));
        await InsertV1Async(document, expected, changes);
        await _server.ExecuteAsync($"""
            UPDATE "{_schema}".checkpoints SET fencing_token = 7, document_bytes = octet_length(document::text),
                changes_bytes = (SELECT sum(octet_length(change::text)) FROM "{_schema}".checkpoint_changes WHERE card_id = 'V2-CARD')
            WHERE card_id = 'V2-CARD';
            INSERT INTO "{_schema}".checkpoints (card_id, version, document_version, fencing_token) VALUES ('V2-DELETED', 0, 0, 5);
            """);

        var upgraded = NewRepository();
        (await upgraded.LoadAsync("V2-CARD")).ShouldMatch(expected, "the schema-2 card after the upgrade");
        (await upgraded.ExistsAsync("V2-DELETED")).Should().BeFalse();
        (await upgraded.ListCardIdsAsync()).Should().Equal("V2-CARD");
        (await _server.ScalarAsync<int[]>($"SELECT array_agg(version ORDER BY version) FROM \"{_schema}\".schema_migrations")).Should().Equal(1, 2, 3, 4);
        (await ColumnsAsync()).Should().Contain("document_generation").And.NotContain("document", "documents live in checkpoint_documents now");
        (await _server.ScalarAsync<string>("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'checkpoints_claimable'", _schema))
            .Should().Contain("document_generation IS NOT NULL", "the index of claimable cards is rebuilt on the new column");

        await using (var ownership = await upgraded.AcquireOwnershipAsync("V2-CARD", TimeSpan.Zero))
        {
            ownership.FencingToken.Should().BeGreaterThan(7, "the token survives the migration");
            await upgraded.CompactAsync("V2-CARD");
        }

        (await _server.ScalarAsync<long>($"SELECT count(*) FROM \"{_schema}\".checkpoint_changes")).Should().Be(0);
        (await _server.ScalarAsync<long>($"SELECT count(*) FROM \"{_schema}\".checkpoint_documents")).Should().Be(0, "the fold replaced generation 0 by chunks");
        (await _server.ScalarAsync<long>($"SELECT document_generation FROM \"{_schema}\".checkpoints WHERE card_id = 'V2-CARD'")).Should().NotBe(0);
        (await NewRepository().LoadAsync("V2-CARD")).ShouldMatch(expected, "after a fold on the upgraded schema");
        await using var deleted = await upgraded.AcquireOwnershipAsync("V2-DELETED", TimeSpan.Zero);
        deleted.FencingToken.Should().BeGreaterThan(5);
    }

    [Fact]
    public async Task DatabaseOfSchemaVersion3_KeepsItsWholeDocumentReadable_AndTheNextFoldWritesChunks()
    {
        // A schema-3 card: its document a json row of checkpoint_documents (generation 77, as a schema-3 fold left it) and change rows.
        await using (var v2 = NewRepository())
        {
            await v2.MigrateToAsync(2, CancellationToken.None);
        }

        var document = Samples.Checkpoint("V3-CARD", responses: 3);
        CheckpointChange[] changes = [new LlmResponseCached(2, Samples.At(11), "analyze", Samples.Response("analyze: ahead"))];
        var expected = changes.Aggregate(document, (checkpoint, change) => change.ApplyTo(checkpoint));
        await InsertV1Async(document, expected, changes);
        await using (var v3 = NewRepository())
        {
            await v3.MigrateToAsync(3, CancellationToken.None);
        }

        await _server.ExecuteAsync($"""
            UPDATE "{_schema}".checkpoint_documents SET generation = 77;
            UPDATE "{_schema}".checkpoints SET document_generation = 77;
            """);

        var upgraded = NewRepository();
        (await upgraded.LoadAsync("V3-CARD")).ShouldMatch(expected, "the schema-3 card after the upgrade");
        (await _server.ScalarAsync<int[]>($"SELECT array_agg(version ORDER BY version) FROM \"{_schema}\".schema_migrations")).Should().Equal(1, 2, 3, 4);
        (await _server.ScalarAsync<int>($"SELECT document_chunks FROM \"{_schema}\".checkpoints")).Should().Be(0, "an existing document stays a whole json row");

        await using (var ownership = await upgraded.AcquireOwnershipAsync("V3-CARD", TimeSpan.Zero))
        {
            await upgraded.CompactAsync("V3-CARD");
        }

        (await _server.ScalarAsync<long>($"SELECT count(*) FROM \"{_schema}\".checkpoint_documents")).Should().Be(0, "the fold's switch removed the json row");
        (await _server.ScalarAsync<int>($"SELECT document_chunks FROM \"{_schema}\".checkpoints")).Should().BeGreaterThan(0);
        (await _server.ScalarAsync<long>($"SELECT document_generation FROM \"{_schema}\".checkpoints")).Should().NotBe(77);
        (await NewRepository().LoadAsync("V3-CARD")).ShouldMatch(expected, "after a fold into chunks on the upgraded schema");
    }

    [Fact]
    public async Task ManyRepositoriesStartingAtOnce_MigrateTheSchemaOnce()
    {
        var repositories = Enumerable.Range(0, 8).Select(_ => NewRepository()).ToArray();

        await Task.WhenAll(repositories.Select(r => Task.Run(() => r.ListCardIdsAsync())));

        (await _server.ScalarAsync<long>($"SELECT count(*) FROM \"{_schema}\".schema_migrations")).Should().Be(PostgreSqlCheckpointRepository.SchemaVersion);
        await repositories[0].SaveAsync(Samples.Checkpoint("after-concurrent-migration"));
        (await repositories[7].ExistsAsync("after-concurrent-migration")).Should().BeTrue();
    }

    [Fact]
    public async Task SchemaNewerThanTheCode_IsRefusedWithVersionException()
    {
        await NewRepository().MigrateAsync();
        await _server.ExecuteAsync($"INSERT INTO \"{_schema}\".schema_migrations (version, description) VALUES (99, 'from the future')");

        var refused = (await FluentActions.Awaiting(() => NewRepository().LoadAsync("any"))
            .Should().ThrowAsync<CheckpointVersionException>()).Which;

        refused.FoundVersion.Should().Be(99);
        refused.SupportedVersion.Should().Be(PostgreSqlCheckpointRepository.SchemaVersion);
        refused.Message.Should().Contain(_schema);
        await FluentActions.Awaiting(() => NewRepository().MigrateAsync()).Should().ThrowAsync<CheckpointVersionException>();
        (await _server.ScalarAsync<long>($"SELECT count(*) FROM \"{_schema}\".schema_migrations")).Should().Be(PostgreSqlCheckpointRepository.SchemaVersion + 1);
    }

    [Fact]
    public async Task UnreachableServer_RaisesUnavailableNamingTheHost()
    {
        var port = ClosedPort();
        var connectionString = $"Host=127.0.0.1;Port={port};Username=nobody;Password=secret-password;Database=nowhere;Timeout=5";
        var repository = new PostgreSqlCheckpointRepository(connectionString);

        var error = (await FluentActions.Awaiting(() => repository.LoadAsync("card"))
            .Should().ThrowAsync<PostgreSqlStoreUnavailableException>()).Which;

        error.Message.Should().Contain($"127.0.0.1:{port}").And.Contain("nowhere").And.NotContain("secret-password");
        error.Host.Should().Be("127.0.0.1");
        error.Port.Should().Be(port);
        error.Should().BeAssignableTo<CheckpointStoreUnavailableException>("every store raises the core type for an unreachable store");
        error.Store.Should().Be($"postgresql://127.0.0.1:{port}/nowhere");
        await using var manager = new CheckpointManager("card", repository);
        await FluentActions.Awaiting(() => manager.CreateCheckpointAsync(3)).Should().ThrowAsync<CheckpointStoreUnavailableException>();
    }

    [Fact]
    public async Task MissingDatabase_RaisesUnavailable()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Database = "no_such_database_" + Guid.NewGuid().ToString("N")[..8] }.ConnectionString;

        await FluentActions.Awaiting(() => new PostgreSqlCheckpointRepository(connectionString).ExistsAsync("card"))
            .Should().ThrowAsync<CheckpointStoreUnavailableException>().WithMessage("*no_such_database_*");
    }

    [Fact]
    public async Task UserWithoutCreatePrivilege_RaisesPermissionErrorNamingSchemaAndUser()
    {
        var role = $"cp_limited_{Guid.NewGuid():N}"[..24];
        await _server.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD 'limited'");
        try
        {
            var limited = new PostgreSqlCheckpointRepository(
                _server.ConnectionStringFor(role, "limited"), new PostgreSqlCheckpointRepositoryOptions { Schema = _schema });

            var error = (await FluentActions.Awaiting(() => limited.LoadAsync("card"))
                .Should().ThrowAsync<PostgreSqlStorePermissionException>("the role may not create the schema")).Which;
            error.Should().BeAssignableTo<CheckpointStorePermissionException>().And.BeAssignableTo<CheckpointStoreUnavailableException>();
            error.Schema.Should().Be(_schema);
            error.User.Should().Be(role);
            error.Message.Should().Contain(_schema).And.Contain(role);

            // Migrated by a privileged user, but no privileges on the tables: still a permission error, not a generic failure.
            await NewRepository().MigrateAsync();
            await _server.ExecuteAsync($"GRANT USAGE ON SCHEMA \"{_schema}\" TO {role}");
            await FluentActions.Awaiting(() => new PostgreSqlCheckpointRepository(_server.ConnectionStringFor(role, "limited"), new PostgreSqlCheckpointRepositoryOptions { Schema = _schema }).LoadAsync("card"))
                .Should().ThrowAsync<CheckpointStorePermissionException>();

            // With DML privileges on a migrated schema, the role works without needing CREATE.
            await _server.ExecuteAsync($"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"{_schema}\" TO {role}");
            var granted = new PostgreSqlCheckpointRepository(_server.ConnectionStringFor(role, "limited"), new PostgreSqlCheckpointRepositoryOptions { Schema = _schema });
            await granted.SaveAsync(Samples.Checkpoint("granted"));
            (await granted.LoadAsync("granted"))!.CardId.Should().Be("granted");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await _server.ExecuteAsync($"DROP OWNED BY {role}; DROP ROLE {role}");
        }
    }

    private PostgreSqlCheckpointRepository NewRepository() =>
        new(_server.DataSource, new PostgreSqlCheckpointRepositoryOptions { Schema = _schema });

    private async Task<List<string>> ColumnsAsync()
    {
        await using var command = _server.DataSource.CreateCommand("SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'checkpoints'");
        command.Parameters.Add(new NpgsqlParameter { Value = _schema });
        await using var reader = await command.ExecuteReaderAsync();
        var columns = new List<string>();
        while (await reader.ReadAsync())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }

    /// <summary>Writes a card the way the first schema version's code did: a document row plus one row per change since.</summary>
    private async Task InsertV1Async(PipelineCheckpoint document, PipelineCheckpoint current, IReadOnlyList<CheckpointChange> changes)
    {
        await using var batch = _server.DataSource.CreateBatch();
        var insert = new NpgsqlBatchCommand(
            $"INSERT INTO \"{_schema}\".checkpoints (card_id, version, status, document, document_version) VALUES ($1, $2, $3, $4, $5)");
        insert.Parameters.Add(new NpgsqlParameter { Value = document.CardId });
        insert.Parameters.Add(new NpgsqlParameter { Value = current.Version });
        insert.Parameters.Add(new NpgsqlParameter { Value = current.Status.ToString().ToLowerInvariant() });
        insert.Parameters.Add(new NpgsqlParameter { Value = CheckpointJson.SerializeCheckpoint(document), NpgsqlDbType = NpgsqlDbType.Json });
        insert.Parameters.Add(new NpgsqlParameter { Value = document.Version });
        batch.BatchCommands.Add(insert);
        foreach (var change in changes)
        {
            var row = new NpgsqlBatchCommand($"INSERT INTO \"{_schema}\".checkpoint_changes (card_id, version, kind, change) VALUES ($1, $2, $3, $4)");
            row.Parameters.Add(new NpgsqlParameter { Value = document.CardId });
            row.Parameters.Add(new NpgsqlParameter { Value = change.Version });
            row.Parameters.Add(new NpgsqlParameter { Value = change.GetType().Name });
            row.Parameters.Add(new NpgsqlParameter { Value = CheckpointJson.SerializeChange(change), NpgsqlDbType = NpgsqlDbType.Json });
            batch.BatchCommands.Add(row);
        }

        await batch.ExecuteNonQueryAsync();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
