namespace Checkpointing.FileStore;

/// <summary>
/// The files a card's compactions replaced, kept whole until the next compaction starts or the owner lets go of the card,
/// then freed a step at a time (<see cref="RetiredFile.Release"/>). Until then a reader that opened the old snapshot
/// before it was replaced (a reader without the lock, the Python manager, a backup) reads it whole, as it would after a
/// plain rename. Used by one session, from its background work or by a caller that waited for that work, never both at once.
/// </summary>
internal sealed class RetiredFiles
{
    private readonly List<RetiredFile> _files = [];

    /// <summary>
    /// Gets or sets the bytes freed per step: <see cref="RetiredFile.StepBytes"/> while the owner works on, larger
    /// (<see cref="RetiredFile.ClosingStepBytes"/>) once it lets go of the card and waits for the freeing.
    /// </summary>
    public long StepBytes { get; set; } = RetiredFile.StepBytes;

    /// <summary>Gets how many files wait to be freed.</summary>
    public int Count => _files.Count;

    /// <summary>Keeps <paramref name="file"/> for <see cref="ReleaseAll"/>; nothing for <see langword="null"/>.</summary>
    public void Add(RetiredFile? file)
    {
        if (file is not null)
        {
            _files.Add(file);
        }
    }

    /// <summary>Frees every kept file, a step at a time (never throws).</summary>
    public void ReleaseAll()
    {
        foreach (var file in _files)
        {
            file.Release(StepBytes);
        }

        _files.Clear();
    }
}
