using Azure.Storage.Blobs;
using Checkpointing.AzureBlob.Tests.Support;
using Checkpointing.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.AzureBlob.Tests;

/// <summary>
/// The Azure Blob store against the conformance suite on a real Azurite: each test gets a new container, and every
/// repository is a new instance over it, as another process would open it.
/// </summary>
public sealed class AzureBlobConformanceTests(AzuriteFixture azurite, ITestOutputHelper output)
    : CheckpointRepositoryConformanceTests(output), IClassFixture<AzuriteFixture>
{
    private BlobContainerClient? _container;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _container = await azurite.Server.NewContainerAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_container is not null)
        {
            await _container.DeleteIfExistsAsync();
        }
    }

    /// <summary>The Azure Blob store does not implement ImportAsync yet (issue 11 added it for file, SQLite and PostgreSQL).</summary>
    protected override bool SupportsImport => false;

    protected override Task<ICheckpointRepository> CreateRepositoryAsync() =>
        Task.FromResult<ICheckpointRepository>(
            new AzureBlobCheckpointRepository(_container!, new AzureBlobCheckpointRepositoryOptions { LockPollInterval = TimeSpan.FromMilliseconds(50) }));
}
