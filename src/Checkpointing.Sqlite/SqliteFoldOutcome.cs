namespace Checkpointing.Sqlite;

/// <summary>How a <see cref="SqliteDocumentFold"/> ended.</summary>
internal enum SqliteFoldOutcome
{
    /// <summary>The card has no change rows (or, for a background fold, not enough to be due), or is gone.</summary>
    NothingToFold,

    /// <summary>The new document was switched in and the folded change rows deleted.</summary>
    Folded,

    /// <summary>The document was replaced (a whole save, a delete, another fold) while the fold wrote; its chunks were removed.</summary>
    Dropped,
}
