namespace Checkpointing.Json;

/// <summary>A checkpoint document as read from disk, with the id of the journal that continues it.</summary>
/// <param name="Checkpoint">The checkpoint the document holds.</param>
/// <param name="JournalId">The journal generation written after it, or <see langword="null"/> (files of the Python manager).</param>
internal sealed record SnapshotDocument(PipelineCheckpoint Checkpoint, string? JournalId)
{
    /// <summary>Refuses a document of another card (a copied or renamed file), which would otherwise be written as that card.</summary>
    /// <exception cref="CheckpointCorruptedException">The document's <c>card_id</c> is not <paramref name="cardId"/>.</exception>
    public static void EnsureCardId(SnapshotDocument snapshot, string cardId, string path)
    {
        if (!string.Equals(snapshot.Checkpoint.CardId, cardId, StringComparison.Ordinal))
        {
            throw new CheckpointCorruptedException(
                path, null, $"card_id is '{snapshot.Checkpoint.CardId}' but the file belongs to card '{cardId}' (was it copied or renamed?)");
        }
    }
}
