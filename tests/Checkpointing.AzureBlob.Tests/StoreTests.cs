using Azure.Storage.Blobs;
using Checkpointing.AzureBlob.Tests.Support;
using Checkpointing.Testing;
using FluentAssertions;
using Xunit;

namespace Checkpointing.AzureBlob.Tests;

/// <summary>The blobs' layout and formats, and the typed errors of a store that cannot reach or use its container.</summary>
public sealed class StoreTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Snapshot_IsTheFileStoresDocument_AndTheJournalHasItsHeader()
    {
        var container = await azurite.Server.NewContainerAsync("layout");
        await using var repository = new AzureBlobCheckpointRepository(container);
        var checkpoint = CheckpointSamples.Checkpoint("CARD-7");
        await repository.SaveAsync(checkpoint);

        // A downloaded snapshot is a file store document: the file store (and so the Python manager's loader) reads it.
        using var directory = new TempFolder();
        await container.GetBlobClient("CARD-7.json").DownloadToAsync(Path.Combine(directory.Path, "CARD-7.json"));
        (await new FileSystemCheckpointRepository(directory.Path).LoadAsync("CARD-7")).ShouldMatch(checkpoint, "the downloaded snapshot");
        var journal = (await container.GetBlobClient("CARD-7.journal").DownloadContentAsync()).Value.Content.ToArray();
        journal.AsSpan(0, 8).ToArray().Should().Equal("CKPTJRN1"u8.ToArray());
        (await repository.ListCardIdsAsync()).Should().Equal("CARD-7");
    }

    [Fact]
    public async Task MissingContainer_IsReportedAsARefusal_NotAsNoCheckpoint()
    {
        var missing = new BlobContainerClient(azurite.Server.ConnectionString, $"missing-{Guid.NewGuid():N}", AzuriteServer.ClientOptions());
        await using var repository = new AzureBlobCheckpointRepository(missing);

        var error = (await FluentActions.Awaiting(() => repository.LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointBlobStoreException>()).Which;
        error.ErrorCode.Should().Be("ContainerNotFound");
        error.IsTransient.Should().BeFalse();
        error.Message.Should().Contain(missing.Name).And.Contain("CARD-1");
        await FluentActions.Awaiting(() => repository.SaveAsync(CheckpointSamples.Minimal("CARD-1"))).Should().ThrowAsync<CheckpointBlobStoreException>();
    }

    [Fact]
    public async Task UnreachableService_IsReportedAsTransient()
    {
        var options = AzuriteServer.ClientOptions();
        options.Retry.MaxRetries = 1;
        var nowhere = new BlobContainerClient(
            azurite.Server.ConnectionString.Replace($":{azurite.Server.Port}/", ":1/", StringComparison.Ordinal), "cards", options);
        await using var repository = new AzureBlobCheckpointRepository(nowhere);

        var error = (await FluentActions.Awaiting(() => repository.LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointBlobStoreException>()).Which;
        error.IsTransient.Should().BeTrue();
        error.Status.Should().Be(0);
    }

    [Fact]
    public async Task CreateContainerIfNotExists_CreatesItOnFirstUse()
    {
        var name = $"created-{Guid.NewGuid():N}";
        await using var repository = new AzureBlobCheckpointRepository(
            azurite.Server.ConnectionString, name, new AzureBlobCheckpointRepositoryOptions { CreateContainerIfNotExists = true });
        await repository.SaveAsync(CheckpointSamples.Minimal("CARD-1"));
        (await repository.LoadAsync("CARD-1"))!.Version.Should().Be(1);
        await repository.Container.DeleteAsync();
    }

    /// <summary>A temporary folder, deleted on dispose.</summary>
    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("checkpointing-blob-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
