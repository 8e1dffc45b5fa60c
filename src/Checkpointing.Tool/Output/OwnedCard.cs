namespace Checkpointing.Tool.Output;

/// <summary>
/// An owned card in an operator's words: who owns it and what to do, without the library's advice to programmers
/// (lock timeouts, <c>AcquireOwnershipAsync</c>).
/// </summary>
internal static class OwnedCard
{
    /// <summary>The owner the library names when its store does not know who holds the card.</summary>
    private const string UnknownOwner = "another checkpoint manager";

    /// <summary>The one line a write command prints when it is refused because the card is owned.</summary>
    public static string Refusal(CheckpointLockedException locked) =>
        $"card '{locked.CardId}' is owned by {Owner(locked.Owner, locked.LockPath)}; nothing was changed; retry when it has finished, or stop it.";

    /// <summary>The owner, in words: the store's description (a process and host) when it has one, else the lock that is held.</summary>
    public static string Owner(string? owner, string? lockPath) =>
        owner is { Length: > 0 } && owner != UnknownOwner && !owner.StartsWith("another process", StringComparison.Ordinal)
            ? owner
            : lockPath is { Length: > 0 } && Path.IsPathFullyQualified(lockPath) && File.Exists(lockPath)
                ? $"another process (lock file {lockPath})"
                : lockPath is { Length: > 0 } ? $"another process ({lockPath})" : "another process";

    /// <summary>
    /// The reason <c>prune</c> gives for a run it left alone: for an owned card the short owner text instead of the
    /// library's message (<c>owned: Card 'x' is owned by ... (held: ...; waited ...)</c>, or <c>...; not waited for ...)</c>),
    /// which it is read back from.
    /// </summary>
    public static string PruneReason(string reason)
    {
        const string OwnedPrefix = "owned: ";
        if (!reason.StartsWith(OwnedPrefix, StringComparison.Ordinal))
        {
            return reason;
        }

        var message = reason[OwnedPrefix.Length..];
        var ownerStart = message.IndexOf(" is owned by ", StringComparison.Ordinal);
        var held = message.LastIndexOf(" (held: ", StringComparison.Ordinal);
        // "; waited N ms", or "; not waited for: ..." when the timeout was zero.
        var waited = Math.Max(message.LastIndexOf("; waited ", StringComparison.Ordinal), message.LastIndexOf("; not waited for", StringComparison.Ordinal));
        if (ownerStart < 0 || held < ownerStart || waited < held)
        {
            return "owned by another process";
        }

        ownerStart += " is owned by ".Length;
        var owner = message[ownerStart..held];
        var lease = owner.IndexOf(", whose lease expires", StringComparison.Ordinal);
        var lockPath = message[(held + " (held: ".Length)..waited];
        return $"owned by {Owner(lease < 0 ? owner : owner[..lease], lockPath)}";
    }
}
