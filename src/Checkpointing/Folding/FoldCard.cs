namespace Checkpointing.Folding;

/// <summary>A database store's fold of one card's change rows into a new stored document.</summary>
/// <param name="cardId">The card.</param>
/// <param name="onlyIfDue">Fold only when the change rows outgrow the document (a background fold); otherwise whenever there are any.</param>
/// <param name="cancellationToken">Cancels the fold; what it wrote and did not switch in is garbage the next fold removes.</param>
/// <returns>Whether a new document was switched in, there was nothing to fold, or the fold was dropped.</returns>
internal delegate Task<FoldOutcome> FoldCard(string cardId, bool onlyIfDue, CancellationToken cancellationToken);
