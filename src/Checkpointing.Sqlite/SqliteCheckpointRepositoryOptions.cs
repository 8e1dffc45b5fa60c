using Checkpointing.Settings;
using Checkpointing.Ownership;

namespace Checkpointing.Sqlite;

/// <summary>Settings of <see cref="SqliteCheckpointRepository"/>.</summary>
public sealed class SqliteCheckpointRepositoryOptions
{
    /// <summary>Gets or sets how long a statement waits for another connection's write lock before failing.</summary>
    /// <value>
    /// The default is 30 seconds. It becomes SQLite's <c>busy_timeout</c> and the command timeout of Microsoft.Data.Sqlite,
    /// which counts whole seconds: a shorter timeout waits up to a second.
    /// </value>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long ownership of a card lasts without renewal. The owner renews it every third of this while it
    /// holds the card; when its process dies the renewals stop, and another owner can take the card once the lease runs out.
    /// A process on the same machine (Linux) that finds the owner process gone takes the card at once instead.
    /// </summary>
    /// <value>The default is 30 seconds: a crashed owner whose death cannot be seen (another host, not Linux) blocks its card for at most that long.</value>
    public TimeSpan LeaseDuration { get; set; } = LeaseDefaults.LeaseDuration;

    /// <summary>Gets or sets how often a waiting <see cref="SqliteCheckpointRepository.AcquireOwnershipAsync"/> tries again.</summary>
    /// <value>The default is 25 milliseconds.</value>
    public TimeSpan LockPollInterval { get; set; } = LeaseDefaults.LockPollInterval;

    /// <summary>Gets or sets the size of change rows below which no compaction happens, however small the document.</summary>
    /// <value>The default is 64 KiB. Above it, change rows are folded into the document once they outgrow it.</value>
    public long MinCompactionBytes { get; set; } = LeaseDefaults.MinCompactionBytes;

    /// <summary>Gets or sets the clock for leases, lock waits and renewal timers.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>. Every process sharing a database must see the same time.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets the size of the chunks a fold writes its new document in, one short write transaction each (tests make
    /// it small). A save that comes while a chunk is written waits for that chunk's commit (its write and fsync): quick (i)
    /// on a loaded 2-core machine gave p99 / median of 8-15x with 1 MiB chunks, 5-6x with 128 KiB (the floor without folds:
    /// 4-7x), 6-9x with 64 KiB, whose folds also fell behind (an fsync per 64 KiB).
    /// </summary>
    internal int FoldChunkBytes { get; set; } = 128 * 1024;

    /// <summary>Gets or sets how many bytes of writes start a background WAL checkpoint (about SQLite's own 1000 pages).</summary>
    internal long WalCheckpointBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Gets or sets a fold threshold that ignores the document's size, so that folds run all the time (crash tests).</summary>
    internal long? CompactionBytesOverride { get; set; }

    /// <summary>Gets or sets a test hook that a fold awaits after each chunk it wrote (card, chunks written so far).</summary>
    internal Func<string, int, CancellationToken, Task>? AfterFoldChunk { get; set; }

    /// <summary>
    /// Gets or sets a diagnostics hook told what the background work is doing (work, phase): the fold's phases
    /// (<c>"fold"</c>: reading, serializing, writing a chunk, ..., idle) and the WAL checkpoints (<c>"wal checkpoint"</c>:
    /// running, idle). The quick benchmark attributes slow saves with it; it must return at once.
    /// </summary>
    internal Action<string, string>? BackgroundActivity { get; set; }

    /// <summary>Checks that the settings can work; the repository calls it first thing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A duration or size is out of range; the message names it.</exception>
    /// <exception cref="ArgumentNullException">The clock is not set.</exception>
    internal void Validate()
    {
        var type = GetType();
        SettingChecks.Positive(type, nameof(BusyTimeout), BusyTimeout);
        SettingChecks.AtLeast(type, nameof(LeaseDuration), LeaseDuration, TimeSpan.FromMilliseconds(100));
        SettingChecks.Positive(type, nameof(LockPollInterval), LockPollInterval);
        SettingChecks.InRange(type, nameof(MinCompactionBytes), MinCompactionBytes, 0, long.MaxValue);
        SettingChecks.NotNull(type, nameof(TimeProvider), TimeProvider);
        SettingChecks.InRange(type, nameof(FoldChunkBytes), FoldChunkBytes, 1, int.MaxValue);
    }
}
