using Azure.Storage.Blobs;
using Checkpointing.Settings;

namespace Checkpointing.AzureBlob;

/// <summary>Settings of <see cref="AzureBlobCheckpointRepository"/>.</summary>
public sealed class AzureBlobCheckpointRepositoryOptions
{
    /// <summary>
    /// Gets or sets how long a blob lease on a card lasts without renewal. The owner renews it every third of this while
    /// it holds the card; when its process dies the renewals stop, and another owner can take the card once the lease runs
    /// out on the storage service.
    /// </summary>
    /// <value>The default is 30 seconds. Azure Storage accepts 15 to 60 seconds.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how often a waiting <see cref="AzureBlobCheckpointRepository.AcquireOwnershipAsync"/> tries again.</summary>
    /// <value>The default is 250 milliseconds (each try is one request).</value>
    public TimeSpan LockPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets or sets the size of journal records below which no compaction happens, however small the snapshot.</summary>
    /// <value>The default is 64 KiB. Above it, the journal is folded into a new snapshot once it outgrows the snapshot.</value>
    public long MinCompactionBytes { get; set; } = 64 * 1024;

    /// <summary>Gets or sets a value indicating whether the repository creates its container on first use when it is missing.</summary>
    /// <value>
    /// The default is <see langword="false"/>: creating a container needs more rights than reading and writing blobs
    /// (a <c>Storage Blob Data Contributor</c> role assignment scoped to the container cannot do it).
    /// </value>
    public bool CreateContainerIfNotExists { get; set; }

    /// <summary>
    /// Gets or sets the client options (retry policy, network timeout, diagnostics) used by the constructor that takes a
    /// connection string. A repository built over a <see cref="BlobContainerClient"/> uses that client's options.
    /// </summary>
    /// <value>The default, <see langword="null"/>, retries a failed request 5 times with exponential back-off from 0.5 s up to 8 s.</value>
    public BlobClientOptions? ClientOptions { get; set; }

    /// <summary>Gets or sets the clock for lease renewals and lock waits.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>. Lease expiry itself is measured by the storage service.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks that the settings can work.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A duration is out of range, or the compaction size is negative.</exception>
    internal void Validate()
    {
        var type = GetType();
        SettingChecks.AtLeast(type, nameof(LeaseDuration), LeaseDuration, TimeSpan.FromSeconds(15));
        SettingChecks.AtMost(type, nameof(LeaseDuration), LeaseDuration, TimeSpan.FromSeconds(60));
        SettingChecks.Positive(type, nameof(LockPollInterval), LockPollInterval);
        SettingChecks.InRange(type, nameof(MinCompactionBytes), MinCompactionBytes, 0, long.MaxValue);
        SettingChecks.NotNull(type, nameof(TimeProvider), TimeProvider);
    }

    /// <summary>The client options for a repository built from a connection string.</summary>
    internal BlobClientOptions CreateClientOptions()
    {
        if (ClientOptions is { } configured)
        {
            return configured;
        }

        var options = new BlobClientOptions();
        options.Retry.Mode = Azure.Core.RetryMode.Exponential;
        options.Retry.MaxRetries = 5;
        options.Retry.Delay = TimeSpan.FromMilliseconds(500);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(8);
        return options;
    }
}
