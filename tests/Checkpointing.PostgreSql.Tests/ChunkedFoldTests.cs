using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Testing;
using FluentAssertions;
using Xunit;
using static Checkpointing.Tests.Support.FoldCards;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>
/// A fold writes its new document in chunks, one short statement each (so a save's commit waits behind one chunk's WAL at
/// most): saves go on between chunks, a fold that stops between chunks leaves garbage that the next whole save or delete
/// removes, and a document whose chunks do not add up is reported corrupted, never read short. A background fold requested
/// by a save under a lease starts from the state that save wrote, not from a read of the card.
/// </summary>
public sealed class ChunkedFoldTests : IAsyncLifetime
{
    private const int ChunkBytes = 256;
    private readonly string _schema = PostgresServer.NewSchema("chunks");
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
    public async Task Saves_CompleteWhileAFoldIsHeldBetweenTwoChunks()
    {
        var fold = new HeldFold();
        var repository = NewRepository(new PostgreSqlCheckpointRepositoryOptions
        {
            MinCompactionBytes = 0,
            FoldChunkBytes = ChunkBytes,
            AfterFoldChunk = (_, written, cancellationToken) => written == 1 ? fold.HoldAsync(cancellationToken) : Task.CompletedTask,
        });
        PipelineCheckpoint checkpoint;
        try
        {
            // The fold has written its first chunk and waits before the second; the saves during it must not wait for it.
            checkpoint = await fold.SaveAroundAsync(repository, CheckpointSamples.Minimal("CARD-1"), during: 30);
            (await StrayChunksAsync()).Should().Be(1, "the held fold wrote one chunk of its document");
            (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint, "a reader sees every save while the fold runs");
        }
        finally
        {
            fold.Release();
        }

        await repository.CompactAsync("CARD-1");

        (await StrayChunksAsync()).Should().Be(0);
        (await CountAsync("checkpoint_changes")).Should().Be(0);
        (await DocumentChunksAsync()).Should().BeGreaterThan(2, "the document spans many chunks of 256 bytes");
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint, "read back from its chunks, in order");
    }

    [Fact]
    public async Task FoldStoppedBetweenChunks_RemovesWhatItWrote_AndChunksAKilledFoldLeftAreRemovedByAWholeSaveAndADelete()
    {
        var stopping = NewRepository(new PostgreSqlCheckpointRepositoryOptions
        {
            MinCompactionBytes = 0,
            FoldChunkBytes = ChunkBytes,
            AfterFoldChunk = (_, written, _) => written == 2 ? throw new IOException("the fold stops here (as if its connection died)") : Task.CompletedTask,
        });
        var checkpoint = await SaveManyAsync(stopping, "CARD-1", 20);
        await FluentActions.Awaiting(() => stopping.CompactAsync("CARD-1")).Should().ThrowAsync<IOException>();
        (await StrayChunksAsync()).Should().Be(0, "a fold that failed removes the chunks it wrote");
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint);

        // A killed fold cannot clean up: two chunks of a generation no card names stay, which load ignores.
        await InsertDeadChunksAsync("CARD-1");
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint);
        var replacement = CheckpointSamples.Checkpoint("CARD-1", checkpoint.Version + 1);
        await NewRepository().SaveAsync(replacement);
        (await StrayChunksAsync()).Should().Be(0, "a whole save removes every other generation, chunked ones too");
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(replacement);

        await InsertDeadChunksAsync("CARD-1");
        (await NewRepository().DeleteAsync("CARD-1")).Should().BeTrue();
        (await CountAsync("checkpoint_document_chunks")).Should().Be(0, "a delete removes the card's chunks");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BackgroundFold_WritesTheStateASaveUnderALeaseOffered_AndReadsTheCardBackWithoutALease(bool leased)
    {
        var repository = NewRepository(new PostgreSqlCheckpointRepositoryOptions { MinCompactionBytes = 0, FoldChunkBytes = ChunkBytes });
        await using var ownership = leased ? await repository.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero) : null;
        var checkpoint = CheckpointSamples.Minimal("CARD-1");
        await repository.SaveAsync(checkpoint);

        // A document no read could use: a fold that reads the card back fails (and logs) instead of switching.
        await _server.ExecuteAsync($"UPDATE \"{_schema}\".checkpoint_documents SET document = '{{\"not\": \"a checkpoint\"}}'");
        for (var i = 0; i < 5 && await DocumentChunksAsync() == 0; i++)
        {
            checkpoint = await SaveResponseAsync(repository, checkpoint, $"prompt {i}");
            await repository.WhenFoldIdleAsync("CARD-1");
        }

        if (!leased)
        {
            // Without a lease another writer could have changed what lies under the saver's state: the fold read the card.
            (await DocumentChunksAsync()).Should().Be(0, "every fold read the unreadable document and failed");
            return;
        }

        (await DocumentChunksAsync()).Should().BeGreaterThan(0, "a background fold switched in a document of chunks");
        (await CountAsync("checkpoint_documents")).Should().Be(0, "the switch removed the unreadable document");
        (await _server.ScalarAsync<long>($"SELECT document_version FROM \"{_schema}\".checkpoints")).Should().Be(checkpoint.Version, "every change row was folded");
        (await NewRepository().LoadAsync("CARD-1")).ShouldMatch(checkpoint, "the fold wrote the state the save offered");
    }

    [Theory]
    [InlineData("a chunk in the middle missing", "DELETE FROM {0}.checkpoint_document_chunks WHERE chunk = 1")]
    [InlineData("the last chunk missing", "DELETE FROM {0}.checkpoint_document_chunks WHERE chunk = (SELECT max(chunk) FROM {0}.checkpoint_document_chunks)")]
    [InlineData("a chunk longer than written", "UPDATE {0}.checkpoint_document_chunks SET data = data || '\\x20'::bytea WHERE chunk = 0")]
    [InlineData("a chunk shorter than written", "UPDATE {0}.checkpoint_document_chunks SET data = substring(data from 2) WHERE chunk = 1")]
    [InlineData("chunks renumbered", "UPDATE {0}.checkpoint_document_chunks SET chunk = chunk + 1000 WHERE chunk > 0")]
    [InlineData("garbage bytes of the right length", "UPDATE {0}.checkpoint_document_chunks SET data = overlay(data placing '\\x00ff'::bytea from 1) WHERE chunk = 0")]
    [InlineData("a row that gives another size", "UPDATE {0}.checkpoints SET document_bytes = document_bytes + 1")]
    [InlineData("a row that gives another chunk count", "UPDATE {0}.checkpoints SET document_chunks = document_chunks + 1")]
    public async Task ChunksThatDoNotAddUp_AreReportedCorrupted(string what, string damage)
    {
        var repository = NewRepository(new PostgreSqlCheckpointRepositoryOptions { MinCompactionBytes = 0, FoldChunkBytes = ChunkBytes });
        await SaveManyAsync(repository, "CARD-1", 20);
        await repository.CompactAsync("CARD-1");
        (await DocumentChunksAsync()).Should().BeGreaterThan(2);

        await _server.ExecuteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, damage, $"\"{_schema}\""));

        var error = (await FluentActions.Awaiting(() => NewRepository().LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointCorruptedException>(what)).Which;
        error.Message.Should().Contain("CARD-1", "the message names the card ({0})", what);
    }

    private PostgreSqlCheckpointRepository NewRepository(PostgreSqlCheckpointRepositoryOptions? options = null)
    {
        options ??= new PostgreSqlCheckpointRepositoryOptions();
        options.Schema = _schema;
        var repository = new PostgreSqlCheckpointRepository(_server.DataSource, options);
        _repositories.Add(repository);
        return repository;
    }

    private Task InsertDeadChunksAsync(string cardId) =>
        _server.ExecuteAsync($"INSERT INTO \"{_schema}\".checkpoint_document_chunks (card_id, generation, chunk, data) VALUES ('{cardId}', 42, 0, '\\x7b22'), ('{cardId}', 42, 1, '\\x6c65')");

    private Task<long> CountAsync(string table) => _server.ScalarAsync<long>($"SELECT count(*) FROM \"{_schema}\".{table}");

    private Task<int> DocumentChunksAsync() => _server.ScalarAsync<int>($"SELECT document_chunks FROM \"{_schema}\".checkpoints WHERE card_id = 'CARD-1'");

    /// <summary>Counts chunk rows of CARD-1 whose generation its row does not name.</summary>
    private Task<long> StrayChunksAsync() => _server.ScalarAsync<long>($"""
        SELECT count(*) FROM "{_schema}".checkpoint_document_chunks k JOIN "{_schema}".checkpoints c ON c.card_id = k.card_id
        WHERE k.card_id = 'CARD-1' AND k.generation IS DISTINCT FROM c.document_generation
        """);
}
