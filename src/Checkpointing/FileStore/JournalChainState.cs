using Checkpointing.Models;

namespace Checkpointing.FileStore;

/// <summary>The result of replaying a card's journals.</summary>
/// <param name="Active">The replay of the journal that takes the next appends (its checkpoint is the card's state).</param>
/// <param name="ActiveIsSuccessor">Whether that journal is the successor file.</param>
/// <param name="Unfolded">
/// The state a snapshot naming the successor must hold, when a background compaction was interrupted before writing it;
/// otherwise <see langword="null"/>.
/// </param>
/// <param name="PreparedSuccessor">Whether the successor file continues the active journal and holds nothing yet (reusable).</param>
internal sealed record JournalChainState(JournalState Active, bool ActiveIsSuccessor, PipelineCheckpoint? Unfolded, bool PreparedSuccessor = false)
{
    /// <summary>Gets the card's state after every record.</summary>
    public PipelineCheckpoint Checkpoint => Active.Checkpoint;
}
