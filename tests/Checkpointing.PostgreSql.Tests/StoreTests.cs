using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Testing;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>What the PostgreSQL store writes: rows for changes, not documents; versions; the manager over it.</summary>
public sealed class StoreTests : IAsyncLifetime
{
    private readonly string _schema = PostgresServer.NewSchema("store");
    private PostgresServer _server = null!;

    public async Task InitializeAsync() => _server = await PostgresServer.GetAsync();

    public async Task DisposeAsync() => await _server.ExecuteAsync($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");

    [Fact]
    public async Task Manager_WithJustAConnectionString_CreatesResumesAndCompletes()
    {
        var cardId = $"CARD-{Guid.NewGuid():N}";
        var response = new LlmResponse("summarize the card", "a summary") { Model = "model-a" };
        await using (var manager = new CheckpointManager(cardId, new PostgreSqlCheckpointRepository(_server.ConnectionString)))
        {
            await manager.CreateCheckpointAsync(totalStages: 3);
            await manager.SaveStageCheckpointAsync("extract", StageStatus.Completed, result: new { Pages = 3 }, llmResponses: [response]);
            await manager.CacheLlmResponseAsync("classify", new LlmResponse("classify it", "bug"));
        }

        await using (var manager = new CheckpointManager(cardId, new PostgreSqlCheckpointRepository(_server.ConnectionString)))
        {
            (await manager.CanResumeAsync()).Should().BeTrue();
            var resumed = await manager.ResumeAsync();
            resumed!.CompletedStages.Should().Equal("extract");
            manager.GetCachedLlmResponse("extract", "summarize the card")!.Response.Should().Be("a summary");
            manager.GetCachedLlmResponse("classify", "classify it")!.Response.Should().Be("bug");
            manager.GetNextStage(["extract", "classify", "publish"]).Should().Be("classify");
            await manager.SaveStageCheckpointAsync("classify", StageStatus.Completed);
            await manager.SaveStageCheckpointAsync("publish", StageStatus.Completed);
            await manager.MarkCompletedAsync();
        }

        var stored = await new PostgreSqlCheckpointRepository(_server.ConnectionString).LoadAsync(cardId);
        stored!.Status.Should().Be(CheckpointStatus.Completed);
        stored.CompletedStages.Should().Equal("extract", "classify", "publish");
        stored.StageCheckpoints["classify"].LlmResponses.Should().ContainSingle(r => r.Prompt == "classify it");
        (await _server.ScalarAsync<long>("SELECT count(*) FROM checkpointing.checkpoint_changes WHERE card_id = $1", cardId))
            .Should().Be(0, "completing compacts the change rows into the document");
    }

    [Fact]
    public async Task Manager_WithDataSource_SecondManagerIsRefusedWhileFirstLives()
    {
        var cardId = $"CARD-{Guid.NewGuid():N}";
        var first = new CheckpointManager(cardId, NewRepository());
        await first.CreateCheckpointAsync(totalStages: 2);

        await using (var second = new CheckpointManager(cardId, NewRepository()))
        {
            await FluentActions.Awaiting(() => second.ResumeAsync()).Should().ThrowAsync<CheckpointLockedException>()
                .WithMessage($"*{cardId}*leased by worker*");
        }

        await first.DisposeAsync();
        await using var third = new CheckpointManager(cardId, NewRepository());
        (await third.ResumeAsync())!.ResumeCount.Should().Be(1);
    }

    [Fact]
    public async Task SaveChange_WritesOneSmallRow_AndLeavesTheDocumentUntouched()
    {
        var repository = NewRepository();
        var cardId = $"rows-{Guid.NewGuid():N}";
        var checkpoint = Samples.Checkpoint(cardId, responses: 40, responseBytes: 4096);
        await repository.SaveAsync(checkpoint);
        var before = await ReadRowAsync(cardId);
        before.DocumentBytes.Should().BeGreaterThan(160_000);

        CheckpointChange[] changes =
        [
            new CurrentStageSet(2, Samples.At(10), "analyze"),
            new LlmResponseCached(3, Samples.At(11), "analyze", Samples.Response("analyze 1")),
            new StageRecorded(4, Samples.At(12), new StageCheckpoint { StageName = "analyze", Status = StageStatus.Completed, StartTime = Samples.At(10), EndTime = Samples.At(12), Duration = TimeSpan.FromSeconds(2) }),
            new StatusChanged(5, Samples.At(13), CheckpointStatus.Paused),
            new CheckpointResumed(6, Samples.At(14)),
        ];
        foreach (var change in changes)
        {
            var applied = new AppliedChange(checkpoint, change);
            checkpoint = applied.Checkpoint;
            await repository.SaveChangeAsync(applied);
        }

        var after = await ReadRowAsync(cardId);
        after.Document.Should().Be(before.Document, "a change appends a row; the document is rewritten only when changes outgrow it");
        after.DocumentVersion.Should().Be(1);
        after.Version.Should().Be(6);
        after.Status.Should().Be("resumed");
        var rows = await ReadChangesAsync(cardId);
        rows.Select(r => (r.Version, r.Kind, r.Stage)).Should().Equal(
            (2L, "current_stage", "analyze"), (3L, "llm_response", "analyze"), (4L, "stage", "analyze"), (5L, "status", null), (6L, "resumed", null));
        rows.Should().OnlyContain(r => r.Bytes < 1024, "each row holds only its change");
        after.ChangesBytes.Should().Be(rows.Sum(r => (long)r.Bytes));
        (await repository.LoadAsync(cardId)).ShouldMatch(checkpoint, "document plus replayed change rows");
    }

    [Fact]
    public async Task SaveChange_WhenChangeRowsOutgrowTheDocument_FoldsThemIntoIt()
    {
        var repository = NewRepository(new PostgreSqlCheckpointRepositoryOptions { MinCompactionBytes = 1024 });
        var cardId = $"fold-{Guid.NewGuid():N}";
        var checkpoint = Samples.Checkpoint(cardId, responses: 1);
        await repository.SaveAsync(checkpoint);
        var documentBytes = (await ReadRowAsync(cardId)).DocumentBytes;

        var folded = false;
        for (var i = 0; i < 40 && !folded; i++)
        {
            var change = new LlmResponseCached(checkpoint.Version + 1, Samples.At(i), "grow", Samples.Response($"grow {i}", 200));
            var applied = new AppliedChange(checkpoint, change);
            checkpoint = applied.Checkpoint;
            await repository.SaveChangeAsync(applied);
            await repository.WhenFoldIdleAsync(cardId);
            folded = (await ReadRowAsync(cardId)).DocumentVersion == checkpoint.Version;
        }

        folded.Should().BeTrue("changes are folded once they outgrow the document ({0} bytes) and the 1 KiB threshold", documentBytes);
        (await ReadChangesAsync(cardId)).Should().BeEmpty();
        (await ReadRowAsync(cardId)).ChangesBytes.Should().Be(0);
        (await NewRepository().LoadAsync(cardId)).ShouldMatch(checkpoint, "after the fold");
    }

    [Fact]
    public async Task Compact_FoldsChangeRows_AndLoadIsUnchanged()
    {
        var repository = NewRepository();
        var cardId = $"compact-{Guid.NewGuid():N}";
        var checkpoint = Samples.Checkpoint(cardId);
        await repository.SaveAsync(checkpoint);
        for (var i = 0; i < 5; i++)
        {
            var change = new LlmResponseCached(checkpoint.Version + 1, Samples.At(i), "s", Samples.Response($"p{i}"));
            var applied = new AppliedChange(checkpoint, change);
            checkpoint = applied.Checkpoint;
            await repository.SaveChangeAsync(applied);
        }

        (await ReadChangesAsync(cardId)).Should().HaveCount(5);
        await repository.CompactAsync(cardId);

        (await ReadChangesAsync(cardId)).Should().BeEmpty();
        var row = await ReadRowAsync(cardId);
        row.DocumentVersion.Should().Be(6);
        row.DocumentBytes.Should().Be(System.Text.Encoding.UTF8.GetByteCount(row.Document));
        (await repository.LoadAsync(cardId)).ShouldMatch(checkpoint, "after compaction");
    }

    [Fact]
    public async Task SaveChange_AgainstAStaleVersion_ConflictNamesStoredAndAttemptedVersions_AndWritesNoRow()
    {
        var repository = NewRepository();
        var cardId = $"stale-{Guid.NewGuid():N}";
        var original = Samples.Checkpoint(cardId);
        await repository.SaveAsync(original);
        var winner = new CurrentStageSet(2, Samples.At(1), "winner");
        await repository.SaveChangeAsync(new AppliedChange(original, winner));

        var loser = new CurrentStageSet(2, Samples.At(2), "loser");
        var conflict = (await FluentActions.Awaiting(() => NewRepository().SaveChangeAsync(new AppliedChange(original, loser)))
            .Should().ThrowAsync<CheckpointConflictException>()).Which;

        conflict.StoredVersion.Should().Be(2);
        conflict.AttemptedVersion.Should().Be(2);
        conflict.Message.Should().Contain(cardId);
        (await ReadChangesAsync(cardId)).Should().ContainSingle().Which.Stage.Should().Be("winner");
    }

    [Fact]
    public async Task Delete_KeepsTheFencingTokenMonotonic()
    {
        var repository = NewRepository();
        var cardId = $"delete-{Guid.NewGuid():N}";
        long firstToken;
        await using (var first = await repository.AcquireOwnershipAsync(cardId, TimeSpan.Zero))
        {
            firstToken = first.FencingToken;
            await repository.SaveAsync(Samples.Checkpoint(cardId));
            (await repository.DeleteAsync(cardId)).Should().BeTrue();
        }

        (await repository.ExistsAsync(cardId)).Should().BeFalse();
        (await repository.ListCardIdsAsync()).Should().NotContain(cardId);
        await using var second = await repository.AcquireOwnershipAsync(cardId, TimeSpan.Zero);
        second.FencingToken.Should().BeGreaterThan(firstToken, "a deleted card keeps its token so that no stale lease can match again");
    }

    private PostgreSqlCheckpointRepository NewRepository(PostgreSqlCheckpointRepositoryOptions? options = null)
    {
        options ??= new PostgreSqlCheckpointRepositoryOptions();
        options.Schema = _schema;
        return new PostgreSqlCheckpointRepository(_server.DataSource, options);
    }

    private async Task<(long Version, long DocumentVersion, string Status, string Document, long DocumentBytes, long ChangesBytes)> ReadRowAsync(string cardId)
    {
        await using var command = _server.DataSource.CreateCommand(
            $"""
            SELECT c.version, c.document_version, c.status,
                   coalesce(d.document::text, (
                       SELECT convert_from(string_agg(k.data, ''::bytea ORDER BY k.chunk), 'UTF8') FROM "{_schema}".checkpoint_document_chunks k
                       WHERE k.card_id = c.card_id AND k.generation = c.document_generation)),
                   c.document_bytes, c.changes_bytes
            FROM "{_schema}".checkpoints c
            LEFT JOIN "{_schema}".checkpoint_documents d ON d.card_id = c.card_id AND d.generation = c.document_generation AND c.document_chunks = 0
            WHERE c.card_id = $1 AND c.document_generation IS NOT NULL
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = cardId });
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).Should().BeTrue();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetInt64(5));
    }

    private async Task<List<(long Version, string Kind, string? Stage, int Bytes)>> ReadChangesAsync(string cardId)
    {
        await using var command = _server.DataSource.CreateCommand(
            $"SELECT version, kind, stage_name, octet_length(change::text) FROM \"{_schema}\".checkpoint_changes WHERE card_id = $1 ORDER BY version");
        command.Parameters.Add(new NpgsqlParameter { Value = cardId });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(long, string, string?, int)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3)));
        }

        return rows;
    }
}
