namespace Checkpointing.PostgreSql;

/// <summary>
/// A lease this repository holds on one card: the token its writes carry, and how many handles use it. The reference
/// count, <see cref="Adopted"/> and <see cref="Released"/> are guarded by the repository's lease gate.
/// </summary>
internal sealed class CardLease
{
    private long _expiresAtTicks;
    private int _lost;

    public CardLease(
        PostgreSqlCheckpointRepository repository, string cardId, string workerId, long token, TimeSpan duration, DateTimeOffset expiresAt, bool fromClaim)
    {
        Repository = repository;
        CardId = cardId;
        WorkerId = workerId;
        Token = token;
        Duration = duration;
        FromClaim = fromClaim;
        References = 1;
        ExpiresAt = expiresAt;
    }

    public PostgreSqlCheckpointRepository Repository { get; }

    public string CardId { get; }

    public string WorkerId { get; }

    public long Token { get; }

    public TimeSpan Duration { get; }

    /// <summary>Gets a value indicating whether the lease came from a claim, which one <see cref="PostgreSqlCheckpointRepository.AcquireOwnershipAsync"/> may adopt.</summary>
    public bool FromClaim { get; }

    public int References { get; set; }

    public bool Adopted { get; set; }

    public bool Released { get; set; }

    /// <summary>Gets or sets a value indicating whether background renewal skips its turns (a test hook that freezes the lease).</summary>
    public bool RenewalSuspended { get; set; }

    public CancellationTokenSource Stop { get; } = new();

    public Task Renewal { get; set; } = Task.CompletedTask;

    public DateTimeOffset ExpiresAt
    {
        get => new(Interlocked.Read(ref _expiresAtTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _expiresAtTicks, value.UtcTicks);
    }

    public bool IsLost => Volatile.Read(ref _lost) != 0;

    /// <summary>Marks the lease lost.</summary>
    /// <returns><see langword="true"/> the first time.</returns>
    public bool MarkLost() => Interlocked.Exchange(ref _lost, 1) == 0;
}
