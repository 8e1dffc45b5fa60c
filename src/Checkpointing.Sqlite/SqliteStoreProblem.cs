namespace Checkpointing.Sqlite;

/// <summary>Why a SQLite checkpoint database could not be used.</summary>
public enum SqliteStoreProblem
{
    /// <summary>The database file cannot be opened: its directory is missing, or the file is missing and creating it is not allowed.</summary>
    CannotOpen,

    /// <summary>The database is read-only: opened with <c>Mode=ReadOnly</c>, or its file or directory cannot be written.</summary>
    ReadOnly,

    /// <summary>The operating system refused access to the database file.</summary>
    PermissionDenied,

    /// <summary>Another connection held the write lock for longer than <see cref="SqliteCheckpointRepositoryOptions.BusyTimeout"/>.</summary>
    Busy,

    /// <summary>The disk is full.</summary>
    DiskFull,

    /// <summary>Reading or writing the database file failed.</summary>
    IOError,

    /// <summary>Another SQLite error.</summary>
    Other,
}
