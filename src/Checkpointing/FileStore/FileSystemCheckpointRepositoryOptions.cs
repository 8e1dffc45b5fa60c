using Checkpointing.Settings;

namespace Checkpointing;

/// <summary>Settings of <see cref="FileSystemCheckpointRepository"/>.</summary>
public sealed class FileSystemCheckpointRepositoryOptions
{
    /// <summary>
    /// Gets or sets the largest snapshot or journal file read; larger ones raise <see cref="CheckpointTooLargeException"/>.
    /// The store never writes a larger one: a save that would is refused with that exception before anything is written.
    /// </summary>
    /// <value>The default is 1 GiB. At most <see cref="Array.MaxLength"/>.</value>
    public long MaxFileBytes { get; set; } = 1L << 30;

    /// <summary>Gets or sets the journal size below which no compaction happens, however small the snapshot.</summary>
    /// <value>The default is 64 KiB. Above it, the journal is folded into the snapshot once it outgrows the snapshot.</value>
    public long MinCompactionBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Gets or sets, for crash tests only, the journal size past which it is folded whatever the snapshot's size, so that
    /// background compactions run nearly all the time; <see langword="null"/> (the default) for the normal rule.
    /// </summary>
    internal long? CompactionBytesOverride { get; set; }

    /// <summary>
    /// Gets or sets a diagnostics hook told what a card's compaction work is doing (work, phase): <c>"fold"</c> (freeing
    /// replaced files, writing the snapshot, renaming, zero-filling the successor, idle) and <c>"journal"</c> (extending,
    /// idle: an append that writes zeros ahead of itself). The quick benchmark attributes slow saves with it; it must return at once.
    /// </summary>
    internal Action<string, string>? BackgroundActivity { get; set; }

    /// <summary>Gets or sets how often a waiting owner tries the lock again.</summary>
    /// <value>The default is 25 milliseconds.</value>
    public TimeSpan LockPollInterval { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Gets or sets the clock used for lock waits.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks that the settings can work; the repository calls it first thing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or duration is out of range; the message names it.</exception>
    /// <exception cref="ArgumentNullException">The clock is not set.</exception>
    internal void Validate()
    {
        var type = GetType();
        SettingChecks.InRange(type, nameof(MaxFileBytes), MaxFileBytes, 1, Array.MaxLength);
        SettingChecks.InRange(type, nameof(MinCompactionBytes), MinCompactionBytes, 0, long.MaxValue);
        SettingChecks.Positive(type, nameof(LockPollInterval), LockPollInterval);
        SettingChecks.NotNull(type, nameof(TimeProvider), TimeProvider);
    }
}
