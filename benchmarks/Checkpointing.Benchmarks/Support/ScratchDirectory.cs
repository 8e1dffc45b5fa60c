using Checkpointing.FileStore;

namespace Checkpointing.Benchmarks.Support;

/// <summary>A fresh directory for one benchmark's files, deleted with everything in it on dispose.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    /// <summary>Creates <c>checkpointing-bench/&lt;name&gt;-&lt;guid&gt;</c> under <paramref name="root"/> (the system temp folder by default).</summary>
    public ScratchDirectory(string name, string? root = null)
    {
        Path = System.IO.Path.Combine(root ?? System.IO.Path.GetTempPath(), "checkpointing-bench", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    /// <summary>Gets the directory's full path.</summary>
    public string Path { get; }

    /// <summary>Gets the total size of the files in the directory.</summary>
    public long FileBytes => Directory.EnumerateFiles(Path).Sum(file => new FileInfo(file).Length);

    /// <summary>Creates a subdirectory and returns its path.</summary>
    public string Subdirectory(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;

    /// <summary>
    /// Makes <paramref name="target"/> hold exactly the files of <paramref name="source"/> (used to restore a history), and
    /// flushes them to disk: otherwise the first fsync of the measured code would pay for writing back the copy.
    /// </summary>
    public static void CopyFiles(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(target))
        {
            File.Delete(file);
        }

        foreach (var file in Directory.EnumerateFiles(source))
        {
            var copy = System.IO.Path.Combine(target, System.IO.Path.GetFileName(file));
            File.Copy(file, copy);
            using var stream = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            stream.Flush(flushToDisk: true);
        }

        PosixFileSync.SyncDirectory(target);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
