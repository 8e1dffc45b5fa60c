namespace Checkpointing.Folding;

/// <summary>How one fold of a card's change rows into a new stored document ended (the database stores' folds).</summary>
internal enum FoldOutcome
{
    /// <summary>The card has no change rows (or, for a background fold, not enough to be due), or is gone.</summary>
    NothingToFold,

    /// <summary>The new document was switched in and the folded change rows deleted.</summary>
    Folded,

    /// <summary>The document was replaced (a whole save, a delete, another fold) while the fold wrote; what it wrote was removed.</summary>
    Dropped,
}
