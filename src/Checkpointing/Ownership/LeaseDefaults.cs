namespace Checkpointing.Ownership;

/// <summary>The defaults every store that leases cards shares, so a card behaves the same whichever store holds it.</summary>
internal static class LeaseDefaults
{
    /// <summary>How long a lease lasts without renewal: also how long a crashed owner's card stays taken.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);

    /// <summary>How often a wait for ownership tries again.</summary>
    public static readonly TimeSpan LockPollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>The size of change rows below which no compaction happens, however small the document.</summary>
    public const long MinCompactionBytes = 64 * 1024;
}
