namespace Checkpointing;

/// <summary>The files of one card inside the checkpoint directory; every path is checked to stay inside it.</summary>
internal sealed record CardPaths
{
    public const string SnapshotExtension = ".json";
    public const string JournalExtension = ".journal";
    public const string LockExtension = ".lock";
    public const string TempExtension = ".tmp";

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

    /// <summary>Gets the glob matching the temporary files of this card.</summary>
    public string TempPattern => BaseName + ".*" + TempExtension;

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
