using Checkpointing.Json;
using Checkpointing.Models;
namespace Checkpointing.FileStore;

/// <summary>
/// Replays a card's journals over its snapshot: the journal, then the successor journal that a background compaction
/// switched the appends to, when it continues the journal. Every step of a background compaction leaves files this
/// reads whole:
/// <list type="number">
/// <item>successor prepared (header only): it continues the journal but holds nothing yet;</item>
/// <item>appends go to the successor while the snapshot is written: snapshot, journal, then successor;</item>
/// <item>the snapshot naming the successor is in place: the journal is stale, the successor continues the snapshot;</item>
/// <item>the successor renamed over the journal: the journal continues the snapshot, as before the compaction.</item>
/// </list>
/// </summary>
internal static class JournalChain
{
    /// <summary>Replays the card's journals over <paramref name="snapshot"/>.</summary>
    /// <param name="journal">The journal's bytes, or <see langword="null"/> when there is none.</param>
    /// <param name="successor">The successor journal's bytes, or <see langword="null"/> when there is none.</param>
    /// <param name="paths">The card's files, for errors.</param>
    /// <param name="snapshot">The snapshot.</param>
    /// <returns>The replayed state.</returns>
    /// <exception cref="CheckpointCorruptedException">A journal is damaged.</exception>
    public static JournalChainState Replay(byte[]? journal, byte[]? successor, CardPaths paths, SnapshotDocument snapshot)
    {
        var successorId = JournalFormat.ReadHeader(successor, paths.Successor); // null when there is none: no bytes, no header
        if (successorId is not null && string.Equals(successorId, snapshot.JournalId, StringComparison.Ordinal))
        {
            // Step 3: the snapshot names the successor; the journal holds nothing the snapshot does not.
            return new JournalChainState(JournalReplay.Replay(successor, paths.Successor, snapshot), ActiveIsSuccessor: true, Unfolded: null);
        }

        var main = JournalReplay.Replay(journal, paths.Journal, snapshot);
        if (!main.IsCurrent || successorId is null || !string.Equals(successorId, JournalFormat.SuccessorId(snapshot.JournalId!), StringComparison.Ordinal))
        {
            return new JournalChainState(main, ActiveIsSuccessor: false, Unfolded: null);
        }

        var next = JournalReplay.Replay(successor, paths.Successor, new SnapshotDocument(main.Checkpoint, successorId));
        if (next.Records == 0)
        {
            // Step 1 (or a first append to it cut short, which returned nothing): the journal is still the one appended to.
            return new JournalChainState(main, ActiveIsSuccessor: false, Unfolded: null, PreparedSuccessor: !next.HasTornTail);
        }

        if (main.HasTornTail)
        {
            throw new CheckpointCorruptedException(
                paths.Journal, main.ValidLength, "a damaged journal record is followed by records in the successor journal, which is written only after the journal's last record");
        }

        // Step 2: the compaction that switched to the successor did not finish; its snapshot is the state after the journal.
        return new JournalChainState(next, ActiveIsSuccessor: true, Unfolded: main.Checkpoint);
    }
}
