using Checkpointing.FileStore;
using Checkpointing.Json;

namespace Checkpointing;

/// <summary>
/// Reads every file of a checkpoint directory in full, without taking ownership, and reports what is wrong: damage with
/// file and offset, documents of a newer schema or of another card, torn journal tails, orphaned temporary files and
/// journals. Nothing is changed.
/// </summary>
public static class CheckpointFileVerifier
{
    /// <summary>
    /// How many times a card whose files look damaged is read: an owner may be appending to the journal, or replacing the
    /// document, while it is read.
    /// </summary>
    private const int ReadAttempts = 3;

    /// <summary>Verifies the cards of a checkpoint directory.</summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="cardIds">The cards to verify, or <see langword="null"/> for every file in the directory.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The cards checked and what was found.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static async Task<CheckpointVerification> VerifyAsync(
        string directory, IReadOnlyCollection<string>? cardIds = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"The checkpoint directory '{full}' does not exist. Pass the directory the pipeline writes to.");
        }

        var findings = new List<CheckpointFinding>();
        var checkedCards = new List<string>();
        var baseNames = cardIds is null
            ? Directory.EnumerateFiles(full, "*" + CardPaths.SnapshotExtension).Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [.. cardIds.Select(CardFileName.ToBaseName)];
        foreach (var baseName in baseNames)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var cardId = await VerifyCardAsync(full, baseName, findings, cancellationToken).ConfigureAwait(false);
            checkedCards.Add(cardId ?? baseName);
        }

        if (cardIds is null)
        {
            FindLeftovers(full, findings);
        }

        return new CheckpointVerification(full, checkedCards, findings);
    }

    private static async Task<string?> VerifyCardAsync(string directory, string baseName, List<CheckpointFinding> findings, CancellationToken cancellationToken)
    {
        var snapshotPath = Path.Combine(directory, baseName + CardPaths.SnapshotExtension);
        var journalPath = Path.Combine(directory, baseName + CardPaths.JournalExtension);
        var expectedId = CardFileName.IsHashed(baseName) ? null : CardFileName.TryFromBaseName(baseName);
        for (var attempt = 1; ; attempt++)
        {
            var journal = await DurableFile.ReadAllAsync(journalPath, Array.MaxLength, cancellationToken).ConfigureAwait(false);
            var bytes = await DurableFile.ReadAllAsync(snapshotPath, Array.MaxLength, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                findings.Add(new CheckpointFinding(CheckpointFindingKind.Damaged, expectedId, snapshotPath, null, "the card has no document file"));
                return expectedId;
            }

            SnapshotDocument snapshot;
            try
            {
                snapshot = CheckpointJsonReader.ReadSnapshot(bytes, new JsonReadContext(snapshotPath, DeferResponseText: true));
            }
            catch (CheckpointVersionException ex)
            {
                findings.Add(new CheckpointFinding(CheckpointFindingKind.UnsupportedVersion, expectedId, snapshotPath, null, ex.Message));
                return expectedId;
            }
            catch (CheckpointCorruptedException ex) when (attempt >= ReadAttempts)
            {
                findings.Add(new CheckpointFinding(CheckpointFindingKind.Damaged, expectedId, snapshotPath, ex.Offset, ex.Message));
                return expectedId;
            }
            catch (CheckpointCorruptedException)
            {
                // An owner's compaction may have replaced the document while this read it, and cut the old one short
                // as it frees its space: read again. Damage on disk stays.
                continue;
            }

            var cardId = snapshot.Checkpoint.CardId;
            if (!string.Equals(CardFileName.ToBaseName(cardId), baseName, StringComparison.Ordinal))
            {
                findings.Add(new CheckpointFinding(
                    CheckpointFindingKind.ForeignCard, expectedId, snapshotPath, null,
                    $"the document holds card '{cardId}', but its file name belongs to {(expectedId is null ? "another card" : $"card '{expectedId}'")} (was it copied or renamed?)"));
                return expectedId ?? cardId;
            }

            try
            {
                var state = JournalReplay.Replay(journal, journalPath, snapshot);
                if (state.HasTornTail)
                {
                    findings.Add(new CheckpointFinding(
                        CheckpointFindingKind.TornTail, cardId, journalPath, state.ValidLength,
                        $"{state.FileLength - state.ValidLength} bytes after the last intact record (offset {state.ValidLength}) are the remains of an interrupted append; harmless: they are ignored and cut by the next owner"));
                }

                return cardId;
            }
            catch (CheckpointCorruptedException ex) when (attempt >= ReadAttempts)
            {
                findings.Add(new CheckpointFinding(CheckpointFindingKind.Damaged, cardId, ex.Path ?? journalPath, ex.Offset, ex.Message));
                return cardId;
            }
            catch (CheckpointCorruptedException)
            {
                // An owner may be appending while this reads, which can look like damage: read again. Damage on disk stays.
            }
        }
    }

    private static void FindLeftovers(string directory, List<CheckpointFinding> findings)
    {
        foreach (var temp in Directory.EnumerateFiles(directory, "*" + CardPaths.TempExtension).Order(StringComparer.Ordinal))
        {
            findings.Add(new CheckpointFinding(
                CheckpointFindingKind.OrphanedTempFile, null, temp, null,
                "a temporary file of an interrupted write (or of one in progress); harmless: the card's next owner removes it"));
        }

        foreach (var journal in Directory.EnumerateFiles(directory, "*" + CardPaths.JournalExtension).Order(StringComparer.Ordinal))
        {
            if (!File.Exists(Path.ChangeExtension(journal, CardPaths.SnapshotExtension)))
            {
                findings.Add(new CheckpointFinding(
                    CheckpointFindingKind.OrphanedJournal, null, journal, null,
                    "a journal without its document (left by an interrupted deletion); harmless: it is never read"));
            }
        }
    }
}
