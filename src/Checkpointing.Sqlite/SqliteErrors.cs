using Microsoft.Data.Sqlite;

namespace Checkpointing.Sqlite;

/// <summary>Turns SQLite's result codes into the library's typed errors.</summary>
internal static class SqliteErrors
{
    private const int Perm = 3;
    private const int Busy = 5;
    private const int Locked = 6;
    private const int ReadOnly = 8;
    private const int IOErr = 10;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int Auth = 23;
    private const int NotADb = 26;

    /// <summary>Returns the typed error for <paramref name="exception"/>.</summary>
    public static CheckpointException Translate(SqliteException exception, string databasePath)
    {
        var code = exception.SqliteErrorCode;
        if (code is Corrupt or NotADb)
        {
            return new CheckpointCorruptedException(databasePath, null, $"SQLite reports the database is corrupt or not a database: {exception.Message}", exception);
        }

        var (problem, what) = code switch
        {
            CantOpen => (SqliteStoreProblem.CannotOpen, "cannot be opened (is its directory missing, or the file missing with Mode=ReadWrite?)"),
            ReadOnly => (SqliteStoreProblem.ReadOnly, "is read-only (Mode=ReadOnly, or the file or its directory cannot be written)"),
            Perm or Auth => (SqliteStoreProblem.PermissionDenied, "refused access"),
            Busy or Locked => (SqliteStoreProblem.Busy, "stayed locked by another connection past the busy timeout"),
            Full => (SqliteStoreProblem.DiskFull, "is on a full disk"),
            IOErr => (SqliteStoreProblem.IOError, "could not be read or written (I/O error)"),
            _ => (SqliteStoreProblem.Other, "failed"),
        };
        return new SqliteCheckpointStoreException(
            databasePath, problem, exception.SqliteExtendedErrorCode, $"The SQLite checkpoint database '{databasePath}' {what}: {exception.Message}", exception);
    }
}
