namespace Checkpointing.Sqlite;

/// <summary>
/// The SQLite checkpoint database cannot be used: it cannot be opened, is read-only, access was denied, it stayed locked
/// past the busy timeout, or the disk failed. <see cref="Problem"/> says which. A write that failed this way wrote nothing.
/// It is the SQLite form of <see cref="CheckpointStoreUnavailableException"/>, which every store raises for such failures.
/// </summary>
public sealed class SqliteCheckpointStoreException : CheckpointStoreUnavailableException
{
    /// <summary>Initializes a new instance of the <see cref="SqliteCheckpointStoreException"/> class.</summary>
    public SqliteCheckpointStoreException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SqliteCheckpointStoreException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public SqliteCheckpointStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SqliteCheckpointStoreException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public SqliteCheckpointStoreException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="SqliteCheckpointStoreException"/> class.</summary>
    /// <param name="databasePath">The database file.</param>
    /// <param name="problem">Why it cannot be used.</param>
    /// <param name="sqliteErrorCode">SQLite's (extended) result code.</param>
    /// <param name="message">What went wrong, naming the database.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public SqliteCheckpointStoreException(string databasePath, SqliteStoreProblem problem, int sqliteErrorCode, string message, Exception? innerException)
        : base(databasePath, message, innerException)
    {
        DatabasePath = databasePath;
        Problem = problem;
        SqliteErrorCode = sqliteErrorCode;
    }

    /// <summary>Gets the database file.</summary>
    public string? DatabasePath { get; }

    /// <summary>Gets why the database cannot be used.</summary>
    public SqliteStoreProblem Problem { get; } = SqliteStoreProblem.Other;

    /// <summary>Gets SQLite's (extended) result code, 0 when none.</summary>
    public int SqliteErrorCode { get; }
}
