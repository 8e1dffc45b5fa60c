namespace Checkpointing.FileStore;

/// <summary>The files of one card inside the checkpoint directory; every path is checked to stay inside it.</summary>
internal sealed record CardPaths
{
    public const string SnapshotExtension = ".json";
    public const string JournalExtension = ".journal";
    public const string SuccessorExtension = ".journal-next";
    public const string LockExtension = ".lock";
    public const string TempExtension = ".tmp";

    private CardPaths(string directory, string baseName)
    {
        Directory = directory;
        BaseName = baseName;
        Snapshot = Inside(directory, baseName + SnapshotExtension);
        Journal = Inside(directory, baseName + JournalExtension);
        Successor = Inside(directory, baseName + SuccessorExtension);
        Lock = Inside(directory, baseName + LockExtension);
    }

    /// <summary>Gets the checkpoint directory (full path).</summary>
    public string Directory { get; }

    /// <summary>Gets the base name shared by the card's files.</summary>
    public string BaseName { get; }

    /// <summary>Gets the complete, readable document: <c>&lt;card&gt;.json</c>.</summary>
    public string Snapshot { get; }

    /// <summary>Gets the append-only journal of changes since the document was written.</summary>
    public string Journal { get; }

    /// <summary>
    /// Gets the next journal generation: it takes the appends while a background compaction writes the snapshot that
    /// names it, and is then renamed over <see cref="Journal"/>. It continues the journal only when its id is that
    /// journal's <see cref="JournalFormat.SuccessorId"/>; otherwise it is stale and ignored. No card's own files end in
    /// <c>-next</c>, so the name cannot be another card's.
    /// </summary>
    public string Successor { get; }

    /// <summary>Gets the lock file, held by the card's owner; never a data file, since a rename over a locked file succeeds.</summary>
    public string Lock { get; }

    /// <summary>Gets the paths of a card's files.</summary>
    public static CardPaths For(string directory, string cardId) => new(directory, CardFileName.ToBaseName(cardId));

    /// <summary>Returns a fresh temporary path next to <paramref name="target"/>, in the same directory so a rename is atomic.</summary>
    public static string TempFor(string target) => $"{target}.{Guid.NewGuid():N}{TempExtension}";

    /// <summary>Gets the glob that finds candidate temporary files of this card; confirm each with <see cref="IsTempFileOfThisCard"/>.</summary>
    public string TempPattern => BaseName + ".*" + TempExtension;

    /// <summary>
    /// Tells whether a file is one of this card's temporary files (<c>&lt;base&gt;.json.&lt;32 hex&gt;.tmp</c> or
    /// <c>&lt;base&gt;.journal.&lt;32 hex&gt;.tmp</c>, or the same for the successor journal) and not another card's whose id merely starts with this one.
    /// </summary>
    public bool IsTempFileOfThisCard(string path)
    {
        var name = Path.GetFileName(path.AsSpan());
        foreach (var extension in (ReadOnlySpan<string>)[SnapshotExtension, JournalExtension, SuccessorExtension])
        {
            var prefix = BaseName + extension + ".";
            if (name.Length == prefix.Length + 32 + TempExtension.Length
                && name.StartsWith(prefix, StringComparison.Ordinal)
                && name.EndsWith(TempExtension, StringComparison.Ordinal)
                && IsLowerHex(name.Slice(prefix.Length, 32)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsLowerHex(ReadOnlySpan<char> chars)
    {
        foreach (var c in chars)
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string Inside(string directory, string fileName)
    {
        var path = Path.GetFullPath(Path.Combine(directory, fileName));
        if (!string.Equals(Path.GetDirectoryName(path), directory, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The card id maps to '{path}', which is outside the checkpoint directory '{directory}'.", nameof(fileName));
        }

        return path;
    }
}
