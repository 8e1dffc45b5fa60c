using Checkpointing.Settings;
using Checkpointing.Ownership;

namespace Checkpointing.PostgreSql;

/// <summary>Settings of a <see cref="PostgreSqlCheckpointRepository"/>.</summary>
public sealed class PostgreSqlCheckpointRepositoryOptions
{
    /// <summary>The default schema.</summary>
    public const string DefaultSchema = "checkpointing";

    /// <summary>Gets or sets the schema that holds the store's tables; created and migrated by the store.</summary>
    /// <value>The default is <c>checkpointing</c>. A PostgreSQL identifier: a letter or <c>_</c>, then letters, digits or <c>_</c>, at most 63.</value>
    public string Schema { get; set; } = DefaultSchema;

    /// <summary>Gets or sets the worker id recorded as the owner of the cards <see cref="PostgreSqlCheckpointRepository.AcquireOwnershipAsync"/> takes.</summary>
    /// <value>The default is <see langword="null"/>: <c>&lt;machine&gt;/&lt;process id&gt;/&lt;random&gt;</c>, unique per repository (the owner-id format of every store).</value>
    public string? WorkerId { get; set; }

    /// <summary>
    /// Gets or sets how long a lease taken by <see cref="PostgreSqlCheckpointRepository.AcquireOwnershipAsync"/> lasts without renewal.
    /// It is renewed in the background every third of this while held; another worker can take the card once it expires.
    /// </summary>
    /// <value>The default is 30 seconds. Expiry is measured on the database server's clock. It is also how long a card stays
    /// taken after its worker crashed.</value>
    public TimeSpan LeaseDuration { get; set; } = LeaseDefaults.LeaseDuration;

    /// <summary>Gets or sets how often a wait for ownership asks the database again.</summary>
    /// <value>The default is 25 milliseconds, as in every store that polls locally (each try is one short query).</value>
    public TimeSpan LockPollInterval { get; set; } = LeaseDefaults.LockPollInterval;

    /// <summary>
    /// Gets or sets the size of change rows a card may gather before they are folded into its document, when the document
    /// is smaller than that. Changes are folded once they outgrow the document and this threshold.
    /// </summary>
    /// <value>The default is 64 KiB.</value>
    public long MinCompactionBytes { get; set; } = LeaseDefaults.MinCompactionBytes;

    /// <summary>Gets or sets whether the store creates and migrates its schema on first use.</summary>
    /// <value>The default is <see langword="true"/>. When <see langword="false"/>, run <see cref="PostgreSqlCheckpointRepository.MigrateAsync"/> at deploy time.</value>
    public bool MigrateAutomatically { get; set; } = true;

    /// <summary>Gets or sets the clock for client-side waits: renewal intervals and ownership polling. Lease expiry is always measured on the database clock.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets the size of the chunks a fold writes its new document in, one short statement (and transaction) each, so
    /// that a save committing meanwhile waits behind at most one chunk's WAL (tests make it small).
    /// </summary>
    internal int FoldChunkBytes { get; set; } = 1024 * 1024;

    /// <summary>Gets or sets a fold threshold that ignores the document's size, so that folds run all the time (crash tests).</summary>
    internal long? FoldThresholdOverride { get; set; }

    /// <summary>Gets or sets a test hook that a fold awaits after it wrote its new document and before it switches to it (the card).</summary>
    internal Func<string, CancellationToken, Task>? AfterFoldDocumentWritten { get; set; }

    /// <summary>Gets or sets a test hook that a fold awaits after each chunk of its new document (card, chunks written so far).</summary>
    internal Func<string, int, CancellationToken, Task>? AfterFoldChunk { get; set; }

    /// <summary>Checks that the settings can work; the repository calls it first thing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A duration or size is out of range; the message names it.</exception>
    /// <exception cref="ArgumentNullException">The clock or the schema is not set.</exception>
    internal void Validate()
    {
        var type = GetType();
        SettingChecks.NotNull(type, nameof(Schema), Schema);
        SettingChecks.Positive(type, nameof(LeaseDuration), LeaseDuration);
        SettingChecks.Positive(type, nameof(LockPollInterval), LockPollInterval);
        SettingChecks.InRange(type, nameof(MinCompactionBytes), MinCompactionBytes, 0, long.MaxValue);
        SettingChecks.NotNull(type, nameof(TimeProvider), TimeProvider);
        SettingChecks.InRange(type, nameof(FoldChunkBytes), FoldChunkBytes, 1, int.MaxValue);
    }
}
