namespace Checkpointing.FileStore;

/// <summary>The files of one card inside the checkpoint directory; every path is checked to stay inside it.</summary>
internal sealed record CardPaths
{
    public const string SnapshotExtension = ".json";
    public const string JournalExtension = ".journal";
    public const string LockExtension = ".lock";
    public const string TempExtension = ".tmp";

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private CardPaths(string directory, string baseName)
    {
        Directory = directory;
        BaseName = baseName;
        Snapshot = Inside(directory, baseName + SnapshotExtension);
        Journal = Inside(directory, baseName + JournalExtension);
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
    /// <c>&lt;base&gt;.journal.&lt;32 hex&gt;.tmp</c>) and not another card's whose id merely starts with this one.
    /// </summary>
    public bool IsTempFileOfThisCard(string path)
    {
        var name = Path.GetFileName(path.AsSpan());
        foreach (var extension in (ReadOnlySpan<string>)[SnapshotExtension, JournalExtension])
        {
            var prefix = BaseName + extension + ".";
            if (name.Length == prefix.Length + 32 + TempExtension.Length
                && name.StartsWith(prefix, StringComparison.Ordinal)
                && name.EndsWith(TempExtension, StringComparison.Ordinal)
                && !name.Slice(prefix.Length, 32).ContainsAnyExcept(LowerHex))
            {
                return true;
            }
        }

        return false;
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
