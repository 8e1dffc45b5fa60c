using Azure.Storage.Blobs;
using Checkpointing;
using Checkpointing.AzureBlob;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the Azure Blob Storage store for <c>services.AddCheckpointing()</c>.</summary>
public static class AzureBlobCheckpointingBuilderExtensions
{
    /// <summary>
    /// Stores checkpoints in an Azure Blob Storage container, shared by the whole application and disposed by the
    /// container after every manager.
    /// </summary>
    /// <param name="builder">The builder <c>AddCheckpointing</c> returned.</param>
    /// <param name="connectionString">The storage account's connection string.</param>
    /// <param name="containerName">The container; it must exist.</param>
    /// <param name="configure">Changes the store's settings; its <see cref="AzureBlobCheckpointRepositoryOptions.TimeProvider"/> is the managers' by default.</param>
    /// <returns>The builder.</returns>
    public static CheckpointingBuilder UseAzureBlob(
        this CheckpointingBuilder builder, string connectionString, string containerName, Action<AzureBlobCheckpointRepositoryOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(containerName);
        return UseAzureBlob(builder, (options, logging) => new AzureBlobCheckpointRepository(connectionString, containerName, options, logging), configure);
    }

    /// <summary>
    /// Stores checkpoints in the Azure Blob Storage container <paramref name="container"/> reaches (for example one built
    /// with a <c>DefaultAzureCredential</c>), shared by the whole application and disposed by the container after every
    /// manager.
    /// </summary>
    /// <param name="builder">The builder <c>AddCheckpointing</c> returned.</param>
    /// <param name="container">The container client; the container must exist.</param>
    /// <param name="configure">Changes the store's settings; its <see cref="AzureBlobCheckpointRepositoryOptions.TimeProvider"/> is the managers' by default.</param>
    /// <returns>The builder.</returns>
    public static CheckpointingBuilder UseAzureBlob(
        this CheckpointingBuilder builder, BlobContainerClient container, Action<AzureBlobCheckpointRepositoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        return UseAzureBlob(builder, (options, logging) => new AzureBlobCheckpointRepository(container, options, logging), configure);
    }

    private static CheckpointingBuilder UseAzureBlob(
        CheckpointingBuilder builder,
        Func<AzureBlobCheckpointRepositoryOptions, ILoggerFactory?, AzureBlobCheckpointRepository> create,
        Action<AzureBlobCheckpointRepositoryOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseRepository(services =>
        {
            var options = new AzureBlobCheckpointRepositoryOptions
            {
                TimeProvider = services.GetRequiredService<IOptions<CheckpointManagerOptions>>().Value.TimeProvider,
            };
            configure?.Invoke(options);
            return create(options, services.GetService<ILoggerFactory>());
        });
    }
}
