namespace Checkpointing.Sqlite;

/// <summary>The database file itself: created private before SQLite creates it world-readable.</summary>
internal static class SqliteDatabaseFile
{
    /// <summary>
    /// Creates a missing database file empty with mode 0600 on Unix before SQLite creates it with 0644: prompts and answers
    /// can hold secrets. SQLite gives the <c>-wal</c> and <c>-shm</c> files it creates the mode of the database file. An
    /// existing file keeps its mode.
    /// </summary>
    /// <param name="path">The database file.</param>
    /// <param name="createsFile">Whether the connection may create it (mode ReadWriteCreate, a plain path).</param>
    public static void CreatePrivately(string path, bool createsFile)
    {
        if (!createsFile || OperatingSystem.IsWindows() || File.Exists(path))
        {
            return;
        }

        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using var created = new FileStream(path, options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Created meanwhile by another process, or the directory is missing or closed to us: SQLite opens the file or says why.
        }
    }
}
