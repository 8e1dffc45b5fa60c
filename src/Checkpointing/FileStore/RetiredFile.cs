using System.Runtime.InteropServices;

namespace Checkpointing.FileStore;

/// <summary>
/// Frees the disk space of a file that a rename or a delete is about to remove a megabyte at a time, not all at once.
/// </summary>
/// <remarks>
/// <para>
/// Removing the last name of a large file frees all its blocks in one commit of the file system's journal. On ext4
/// mounted with <c>discard</c> (usual on virtual and flash disks) that commit also trims every freed block, and any
/// fdatasync that needs a commit meanwhile waits for it: the card's own journal appends, and every other card's on the
/// disk. Measured on a 2-core VM's ext4 disk: an 8 KB append + fdatasync beside the rename that replaces a 60 MB
/// snapshot took up to 16-23 ms, against a median of 0.15 ms; with the old file freed a megabyte per commit, up to 3-7 ms.
/// </para>
/// <para>
/// So before the rename the old file gets a second name (a hard link, named like one of the card's temporary files);
/// the rename then frees nothing, and <see cref="Release"/>, once the rename is durable (a session waits until its next
/// compaction starts: <see cref="RetiredFiles"/>), cuts the old file from its end one step per commit (a megabyte while
/// the owner works on, <see cref="ClosingStepBytes"/> when it lets go) and deletes what is left. A crash at any instant
/// leaves the card's files as the rename left them, plus at most that temporary name, which the card's next owner
/// removes (<see cref="CardSession.RemoveOrphanedTempFiles"/>).
/// </para>
/// <para>
/// A reader that still reads the old file when it is released sees it shrink under it; the store's readers read that
/// as damage and read the card again, as they do for a journal being appended to. Linux only (elsewhere, for files of a
/// megabyte or less, and where the file system refuses a hard link, nothing is done).
/// </para>
/// </remarks>
internal sealed partial class RetiredFile
{
    /// <summary>The bytes freed per file-system commit while the card's owner works on: appends wait for at most that much trimming.</summary>
    public const long StepBytes = 1 << 20;

    /// <summary>
    /// The bytes freed per commit when the owner lets go of the card (dispose, delete): a step costs an fdatasync, and the
    /// caller waits for all of them; other cards' appends wait for at most this much trimming.
    /// </summary>
    public const long ClosingStepBytes = 8 << 20;

    private RetiredFile(string path) => Path = path;

    /// <summary>Gets the second name of the old file.</summary>
    public string Path { get; }

    /// <summary>
    /// Gives <paramref name="path"/> a second name, before a rename over it or a delete, if it is worth freeing a step at a time.
    /// </summary>
    /// <returns>The retired file, or <see langword="null"/> when there is nothing to do (see the remarks of the class).</returns>
    public static RetiredFile? Keep(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // A journal of a few bytes can still hold the disk its appends were to fill (see FileSpace).
        var file = new FileInfo(path);
        if (!file.Exists || Math.Max(file.Length, FileSpace.AllocatedBytes(path)) <= StepBytes)
        {
            return null;
        }

        var name = CardPaths.TempFor(path);
        return Link(path, name) == 0 ? new RetiredFile(name) : null;
    }

    /// <summary>Removes the second name only, when the rename or delete it was kept for failed (the file keeps its first).</summary>
    public void Abandon() => DurableFile.TryDelete(Path);

    /// <summary>
    /// Cuts the old file from its end, one step per fdatasync (each a commit of its own), then deletes it. Call it once the
    /// rename or delete is durable. Never throws: on an error the rest is freed at once, or by the card's next owner.
    /// </summary>
    /// <param name="stepBytes">The bytes freed per step.</param>
    public void Release(long stepBytes = StepBytes)
    {
        try
        {
            using var file = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            Shrink(file, 0, stepBytes);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        DurableFile.TryDelete(Path);
    }

    /// <summary>
    /// Cuts <paramref name="file"/> to <paramref name="length"/> from its end, or from the end of the disk it reserved past
    /// its end (<see cref="FileSpace"/>), one step per fdatasync (each a commit of its own), so that the space it frees is
    /// trimmed a step at a time too. With <paramref name="length"/> at the file's length, it frees only that reservation.
    /// </summary>
    /// <param name="file">The file, open for writing.</param>
    /// <param name="length">Its length when done.</param>
    /// <param name="stepBytes">The bytes freed per step.</param>
    /// <param name="maxLength">
    /// The longest the file may grow to over its reservation: a crash before the cuts leaves it that long (zeros at its
    /// end), so a file that is loaded again must stay within what a load accepts. A reservation beyond it goes with the
    /// first cut, at once.
    /// </param>
    public static void Shrink(FileStream file, long length, long stepBytes, long maxLength = long.MaxValue)
    {
        // Disk reserved past the end (a journal's preallocation) would all be freed by the first cut, or kept by a file
        // not cut at all: so the file first grows over it (reserved blocks read as zeros), and the steps free it too.
        var end = Math.Max(file.Length, Math.Min(FileSpace.ReservedEnd(file), maxLength));
        if (end > file.Length)
        {
            file.SetLength(end);
        }

        while (end > length)
        {
            end = Math.Max(length, end - stepBytes);
            file.SetLength(end);
            PosixFileSync.DataSync(file);
        }
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string added);
}
