namespace Checkpointing.FileStore;

/// <summary>Creates a checkpoint directory durably: a card acknowledged in it must not vanish with its directory entry.</summary>
internal static class DurableDirectory
{
    /// <summary>
    /// Creates <paramref name="directory"/> and any missing parent (mode 0700), then fsyncs the parent of each directory
    /// it created, so that the new entries survive a power cut (a file system may otherwise lose the <c>mkdir</c>
    /// and with it every card written inside).
    /// </summary>
    /// <param name="directory">The full path.</param>
    public static void Create(string directory) => Create(directory, PosixFileSync.SyncDirectory);

    /// <summary>Creates <paramref name="directory"/> like <see cref="Create(string)"/>, with <paramref name="syncDirectory"/> as the directory fsync.</summary>
    /// <param name="directory">The full path.</param>
    /// <param name="syncDirectory">Makes a directory's entries durable.</param>
    internal static void Create(string directory, Action<string> syncDirectory)
    {
        var missing = new List<string>();
        for (var path = directory; path is not null && !Directory.Exists(path); path = Path.GetDirectoryName(path))
        {
            missing.Add(path);
        }

        if (OperatingSystem.IsWindows())

        // Stryker disable once Block,Statement : Windows only; these tests run on Linux
        {
            Directory.CreateDirectory(directory);
            return;
        }

        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // From the top down: each new entry is durable before the one inside it is made durable.
        for (var i = missing.Count - 1; i >= 0; i--)
        {
            if (Path.GetDirectoryName(missing[i]) is { } parent)
            {
                syncDirectory(parent);
            }
        }
    }
}
