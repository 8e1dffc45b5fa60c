namespace Checkpointing;

/// <summary>What kind of problem <see cref="CheckpointFileVerifier"/> found.</summary>
public enum CheckpointFindingKind
{
    /// <summary>The journal ends in the remains of an interrupted append. Harmless: it is ignored, and cut by the next owner.</summary>
    TornTail,

    /// <summary>A document or journal cannot be read (bad JSON, checksum, framing, impossible content). Loading the card fails.</summary>
    Damaged,

    /// <summary>A document was written by a newer schema version than this library reads.</summary>
    UnsupportedVersion,

    /// <summary>A document holds another card than its file name says (copied or renamed). Loading the card fails.</summary>
    ForeignCard,

    /// <summary>A temporary file left by an interrupted write. Harmless: the card's next owner removes it.</summary>
    OrphanedTempFile,

    /// <summary>A journal without its document (left by a deletion that was interrupted). Harmless: it is never read.</summary>
    OrphanedJournal,
}

/// <summary>One problem found in a checkpoint directory.</summary>
/// <param name="Kind">What kind of problem.</param>
/// <param name="CardId">The card the file belongs to, when known.</param>
/// <param name="Path">The file.</param>
/// <param name="Offset">The byte offset of the problem in the file, when known.</param>
/// <param name="Message">What is wrong and what it means, in words.</param>
public sealed record CheckpointFinding(CheckpointFindingKind Kind, string? CardId, string Path, long? Offset, string Message)
{
    /// <summary>Gets a value indicating whether the problem loses or hides data (loading fails), as opposed to a harmless leftover.</summary>
    public bool IsDamage => Kind is CheckpointFindingKind.Damaged or CheckpointFindingKind.UnsupportedVersion or CheckpointFindingKind.ForeignCard;
}
